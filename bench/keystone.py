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
"""The in-process list through the keystone pipeline, beside noauth2.

No target: the row shows what keystonemiddleware adds with a validated,
cached token. It runs in a process of its own (``bench/run.py`` starts it
so): loading keystonemiddleware registers its auth plugin's options on
the global configuration, ``auth_url`` among them as a required option,
and ``ConfigOpts.reset()`` does not unregister them, so every app
configured after it in the same process would fail to start.
"""

import contextlib
import os
import tempfile

from bench import baseline
from bench import env
from bench import inprocess
from bench import timing

KEYSTONE_TOKEN = 'bench-keystone-token'

KEYSTONE_CONFIG = """
[keystone_authtoken]
www_authenticate_uri = %(url)s
auth_url = %(url)s
auth_type = password
username = nova
password = %(password)s
project_name = service
user_domain_id = default
project_domain_id = default
"""


@contextlib.contextmanager
def _keystone_token(tmp):
    """(token, its project id, how it is validated, configure()).

    ``configure()`` points keystonemiddleware's options at the validator,
    once the service is configured.

    A real Keystone (``tests/services/keystone.py``, when its virtualenv
    is built): keystonemiddleware validates the token there once and then
    answers from its token cache. Otherwise keystonemiddleware's own
    ``AuthTokenFixture`` stands in for the validation.
    """
    from keystoneauth1 import fixture as ksa_fixture
    from keystonemiddleware import fixture as ksm_fixture

    from nova_attach_ifaces import conf
    from tests.services import keystone as keystone_service
    from tests.services import venvs

    venv = venvs.ready(keystone_service.NAME)
    if venv is not None:
        keystone = keystone_service.Keystone(venv)
        try:
            keystone.start()
            path = os.path.join(tmp, 'keystone-bench.conf')
            with open(path, 'w') as f:
                f.write(KEYSTONE_CONFIG % {'url': keystone.url,
                                           'password': keystone.password})

            def configure():
                conf.CONF(['--config-file', path],
                          project='nova-attach-ifaces',
                          default_config_files=[])
            yield (keystone.token('demo-member', 'demo'),
                   keystone.ids['demo'], 'Keystone (real), cached token',
                   configure)
        finally:
            keystone.close()
        return
    auth = ksm_fixture.AuthTokenFixture()
    auth.setUp()
    try:
        token = ksa_fixture.V3Token(user_id='bench', user_name='bench',
                                    project_id=env.PROJECT,
                                    project_name='bench')
        for role in ('member', 'reader'):
            token.add_role(name=role)
        auth.add_token(token, token_id=KEYSTONE_TOKEN)

        def configure():
            conf.CONF.set_override('www_authenticate_uri',
                                   'http://keystone.invalid/v3',
                                   group='keystone_authtoken')
            # The fixture validates the tokens; a plugin must be named.
            conf.CONF.set_override('auth_type', 'none',
                                   group='keystone_authtoken')
        yield (KEYSTONE_TOKEN, env.PROJECT,
               "keystonemiddleware's AuthTokenFixture", configure)
    finally:
        auth.cleanUp()


def run(quick=False):
    """List through the keystone pipeline beside noauth2 (no target).

    Both apps and the bare one are timed in interleaved rounds, access log
    written; the token is validated once and then answered from
    keystonemiddleware's cache (see :func:`_keystone_token`).
    """
    from nova_attach_ifaces.compute import loader
    from nova_attach_ifaces.compute import memory
    from nova_attach_ifaces import conf
    from nova_attach_ifaces import wsgi

    rounds = 5 if quick else 25
    min_round = 0.03 if quick else 0.05
    version = inprocess.VERSIONS[-1]
    with tempfile.TemporaryDirectory(prefix='nai-bench-ks-') as tmp, \
            _keystone_token(tmp) as (token, project, validated_by,
                                     configure):
        inv = env.make_inventory(ports=10, attached=2, project=project)
        noauth_token = 'bench:%s' % project
        with env.service('memory', inv) as noauth_app:
            configure()
            conf.CONF.set_override('auth_strategy', 'keystone', group='api')
            # The same inventory object, as env.Service loads it.
            original = loader.load_driver
            loader.load_driver = lambda c: memory.MemoryDriver.from_inventory(
                c, inv)
            try:
                keystone_app = wsgi.load_app(conf.CONF)
            finally:
                loader.load_driver = original
            path = env.list_path()

            def through_keystone():
                return env.request(keystone_app, 'GET', path, version,
                                   token=token)

            def through_noauth():
                return env.request(noauth_app, 'GET', path, version,
                                   token=noauth_token)

            body = inprocess._check(through_keystone())
            if body != inprocess._check(through_noauth()):
                raise RuntimeError('keystone and noauth2 lists differ')
            base = baseline.make_app({'list': body})
            timed = timing.paired({
                'keystone': through_keystone,
                'noauth': through_noauth,
                'baseline': inprocess._get(base, path, version)},
                rounds=rounds, min_round=min_round)
    return [{'auth': 'keystone', 'validated_by': validated_by,
             'driver': 'memory', 'version': version, 'op': 'list',
             'access_log': True,
             'app_us': timed['keystone']['us'],
             'noauth_us': timed['noauth']['us'],
             'baseline_us': timed['baseline']['us'],
             'ratio': timing.paired_ratio(timed, 'keystone', 'baseline'),
             'noauth_ratio': timing.paired_ratio(timed, 'noauth',
                                                 'baseline')}]


def summarise(rows, lines, targets):
    """The summary's lines for this row (no target to add)."""
    if not rows:
        return
    lines += ['## Through the keystone pipeline', '',
              'keystonemiddleware, token validated by %s (no target), '
              'beside noauth2, access log written, timed in interleaved '
              'rounds in a process of their own:'
              % rows[0].get('validated_by', 'its fixture'), '',
              '| pipeline | driver | version | operation | us '
              '| baseline us | ratio |',
              '|---|---|---|---|---:|---:|---:|']
    for r in rows:
        for name, us, ratio in (('keystone', 'app_us', 'ratio'),
                                ('noauth2', 'noauth_us', 'noauth_ratio')):
            lines.append('| %s | %s | %s | %s | %.0f | %.0f | %.2fx |' % (
                name, r['driver'], r['version'], r['op'], r[us],
                r['baseline_us'], r[ratio]))
    lines.append('')
