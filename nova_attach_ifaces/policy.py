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
"""Policy enforcement: one enforcer per process, Nova's rules and wording.

oslo.policy re-reads the policy file's mtime and walks the check tree on
every call, which costs 70-300 us: more than everything else a list request
does. Decisions are therefore cached: a decision depends only on the rules,
the target and the caller's policy values, so it is kept per (action,
target, credentials) and the whole cache is dropped when the rules change.
The policy file is checked for changes at most once per
``RULES_CHECK_INTERVAL`` seconds, so an edit takes effect within that time,
without a restart. Rules with external ``http:``/``https:`` checks are never
cached: their answer may change without the rules changing.
"""

import threading
import time

from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import policy

from nova_attach_ifaces import conf
from nova_attach_ifaces import policies

LOG = logging.getLogger(__name__)

RULES_CHECK_INTERVAL = 1.0
# Distinct (action, target, credentials) triples kept; beyond it the cache
# starts over rather than grow without bound.
MAX_CACHED_DECISIONS = 10000

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


class CachingEnforcer(object):
    """An oslo.policy ``Enforcer`` whose decisions are remembered."""

    def __init__(self, config):
        self.enforcer = policy.Enforcer(config)
        self.enforcer.register_defaults(policies.list_rules())
        self._decisions = {}
        self._rules_seen = None
        self._cacheable = False
        self._next_rules_check = 0.0
        self._refresh_rules()

    def _refresh_rules(self):
        self.enforcer.load_rules()
        rules = self.enforcer.rules
        # Reloading builds new check objects, so their identities tell
        # whether anything was reloaded.
        seen = tuple((name, id(check)) for name, check in rules.items())
        if seen != self._rules_seen:
            self._rules_seen = seen
            self._cacheable = not any(
                'http:' in str(check) or 'https:' in str(check)
                for check in rules.values())
            self._decisions = {}
        self._next_rules_check = time.monotonic() + RULES_CHECK_INTERVAL

    def allowed(self, action, target, context):
        """Whether ``context`` may perform ``action`` on ``target``."""
        if time.monotonic() >= self._next_rules_check:
            self._refresh_rules()
        if not self._cacheable:
            return self._decide(action, target, context)
        key = (action, tuple(sorted(target.items())), context.policy_key())
        decisions = self._decisions
        allowed = decisions.get(key)
        if allowed is None:
            allowed = self._decide(action, target, context)
            if len(decisions) >= MAX_CACHED_DECISIONS:
                decisions.clear()
            decisions[key] = allowed
        return allowed

    def _decide(self, action, target, context):
        # do_raise=False: a token of the wrong scope is simply refused.
        credentials = dict(context.to_policy_values().items())
        return bool(self.enforcer.authorize(action, target, credentials,
                                            do_raise=False))

    def clear(self):
        self.enforcer.clear()
        self._decisions = {}


def init(config=None):
    """Create the enforcer for ``config`` (default: the service's CONF).

    Idempotent and thread-safe; the first call wins until :func:`reset`.
    """
    global _ENFORCER
    with _ENFORCER_LOCK:
        if _ENFORCER is None:
            _ENFORCER = CachingEnforcer(config or conf.CONF)
    return _ENFORCER


def reset():
    """Forget the enforcer, so the next check re-reads config (tests)."""
    global _ENFORCER
    with _ENFORCER_LOCK:
        if _ENFORCER is not None:
            _ENFORCER.clear()
        _ENFORCER = None


def get_enforcer():
    """Return an initialised oslo.policy Enforcer, for ``oslopolicy-*``.

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
    return init().enforcer


def authorize(context, action, target):
    """Check ``action`` for ``context`` against ``target``.

    :raises PolicyNotAuthorized: denied, including a token whose scope the
        rule does not accept (a system-scoped token on a project rule).
    """
    if not (_ENFORCER or init()).allowed(action, target, context):
        raise PolicyNotAuthorized(action)


def check_is_admin(context):
    """Whether ``context`` passes ``context_is_admin`` (admins see all)."""
    target = {'project_id': context.project_id, 'user_id': context.user_id}
    return (_ENFORCER or init()).allowed('context_is_admin', target, context)
