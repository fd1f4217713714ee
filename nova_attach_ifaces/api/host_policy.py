#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.
"""Drop-in mode: the host service's ``[oslo_policy]`` as our defaults.

Inside a compute API the operator's policy settings are the host's: its
policy file (whose overrides of the os-attach-interfaces rules are meant
for whoever serves those routes, and our rules carry Nova's names), its
policy directories and ``enforce_new_defaults``. So every ``[oslo_policy]``
option defaults to the host's value, read from the host's parsed
configuration, and an option set in our own configuration file wins.

A relative policy file or directory of the host's is resolved as the host
resolves it: against the host's configuration directories, not ours.
"""

import os

from oslo_policy import opts as policy_opts

GROUP = 'oslo_policy'


def inherit(ours, host):
    """Default ``ours``' ``[oslo_policy]`` options to ``host``'s values.

    Both are parsed ``ConfigOpts``. Registering the options on the host is
    harmless: they are oslo.policy's own option objects, which the host's
    enforcer registers too.

    :returns: ``(inherited, own)``: ``{option: value}`` taken from the
        host, and the names of the options our configuration sets.
    """
    policy_opts.set_defaults(host)
    inherited, own = {}, []
    for _group, opts in policy_opts.list_opts():
        for opt in opts:
            name = opt.dest
            # Ours when an operator set it: in a config file, on the
            # command line or in the environment. Not a set_override():
            # oslo.config keeps reporting that location after the
            # override is cleared (reset() leaves it behind), so it
            # cannot tell whether the override is still there. No
            # location at all: an option with no default, unset.
            where = ours.get_location(name, GROUP)
            if where is not None and where.location.is_user_controlled:
                own.append(name)
                continue
            value = host[GROUP][name]
            if name == 'policy_file':
                value = _host_path(host, value)
            elif name == 'policy_dirs':
                value = [_host_path(host, path) for path in value]
            ours.set_default(name, value, group=GROUP)
            inherited[name] = value
    return inherited, own


def _host_path(host, name):
    """``name`` as an absolute path, found as the host would find it."""
    if not name or os.path.isabs(name):
        return name
    found = host.find_file(name)
    if found:
        return os.path.abspath(found)
    # Not there yet: where the host would look first, so that a file
    # created there later is read by both (oslo.policy looks again).
    dirs = [os.path.dirname(os.path.abspath(path))
            for path in reversed(host.config_file or [])]
    if host.config_dir:
        dirs.insert(0, os.path.abspath(host.config_dir))
    return os.path.join(dirs[0], name) if dirs else name
