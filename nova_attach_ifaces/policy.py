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
"""Policy enforcement: one enforcer per process, Nova's rules and wording."""

import threading

from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import policy

from nova_attach_ifaces import conf
from nova_attach_ifaces import policies

LOG = logging.getLogger(__name__)

_ENFORCER = None
_ENFORCER_LOCK = threading.Lock()


class PolicyNotAuthorized(Exception):
    """The caller may not perform ``action`` (HTTP 403, Nova's message)."""

    code = 403

    def __init__(self, action):
        self.action = action
        super().__init__(
            "Policy doesn't allow %s to be performed." % action)

    def format_message(self):
        return self.args[0]


def init(config=None):
    """Create the enforcer for ``config`` (default: the service's CONF).

    Idempotent and thread-safe; the first call wins until :func:`reset`.
    """
    global _ENFORCER
    with _ENFORCER_LOCK:
        if _ENFORCER is None:
            enforcer = policy.Enforcer(config or conf.CONF)
            enforcer.register_defaults(policies.list_rules())
            enforcer.load_rules()
            _ENFORCER = enforcer
    return _ENFORCER


def reset():
    """Forget the enforcer, so the next check re-reads config (tests)."""
    global _ENFORCER
    with _ENFORCER_LOCK:
        if _ENFORCER is not None:
            _ENFORCER.clear()
        _ENFORCER = None


def get_enforcer():
    """Return an initialised enforcer, for the ``oslopolicy-*`` tools.

    Those tools parse their ``--config-file`` arguments into oslo.config's
    process-global CONF and then call this entry point; the files are handed
    on to this service's own CONF so that ``[oslo_policy]`` settings and
    the policy file named there are honoured.
    """
    args = []
    try:
        for path in cfg.CONF.config_file or []:
            args.extend(['--config-file', path])
    except cfg.NoSuchOptError:
        pass
    conf.CONF(args, project='nova-attach-ifaces')
    reset()
    return init()


def authorize(context, action, target):
    """Check ``action`` for ``context`` against ``target``.

    :raises PolicyNotAuthorized: denied, including a token whose scope the
        rule does not accept (a system-scoped token on a project rule).
    """
    enforcer = _ENFORCER or init()
    try:
        enforcer.authorize(action, target, context, do_raise=True,
                           exc=PolicyNotAuthorized, action=action)
    except policy.InvalidScope:
        LOG.debug('Policy %s refused a token of scope %s', action,
                  context.system_scope or 'domain')
        raise PolicyNotAuthorized(action)


def check_is_admin(context):
    """Whether ``context`` passes ``context_is_admin`` (admins see all)."""
    enforcer = _ENFORCER or init()
    credentials = context.to_policy_values()
    target = {'project_id': context.project_id, 'user_id': context.user_id}
    return enforcer.authorize('context_is_admin', target, credentials)
