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
"""The operator tools: sample config, sample and effective policy.

Runs the real command-line tools from this interpreter's bin directory on
the generator configs shipped in ``etc/nova-attach-ifaces/`` (the ones
``tox -e genconfig`` and ``tox -e genpolicy`` use), and the ``oslopolicy-*``
tools that load this service's enforcer through its
``oslo.policy.enforcer`` entry point.
"""

import collections
import os
import re
import subprocess
import sys

import fixtures
from oslo_serialization import jsonutils
from oslotest import base

from nova_attach_ifaces.conf import opts
from nova_attach_ifaces import policies
from nova_attach_ifaces import wsgi

BIN_DIR = os.path.dirname(sys.executable)
CONFIG_GENERATOR_CONF = os.path.join(
    wsgi.SHIPPED_ETC, 'nova-attach-ifaces-config-generator.conf')
POLICY_GENERATOR_CONF = os.path.join(
    wsgi.SHIPPED_ETC, 'nova-attach-ifaces-policy-generator.conf')
NAMESPACE = 'nova_attach_ifaces'
#: Seconds one tool may run.
TOOL_TIMEOUT = 60

LIST = 'os_compute_api:os-attach-interfaces:list'
SHOW = 'os_compute_api:os-attach-interfaces:show'
CREATE = 'os_compute_api:os-attach-interfaces:create'
DELETE = 'os_compute_api:os-attach-interfaces:delete'

# Options of the libraries' groups an operator of this service must find.
LIBRARY_OPTIONS = {
    'DEFAULT': ['debug', 'log_file', 'log_dir', 'use_journal'],
    'keystone_authtoken': ['www_authenticate_uri', 'memcached_servers',
                           'service_token_roles_required', 'auth_type'],
    'oslo_middleware': ['max_request_body_size',
                        'enable_proxy_headers_parsing'],
    'cors': ['allowed_origin', 'allow_headers', 'expose_headers'],
    'healthcheck': ['backends', 'detailed', 'disable_by_file_path'],
    'oslo_policy': ['policy_file', 'enforce_new_defaults', 'policy_dirs'],
}


def parse_sample(text):
    """{section: {option names}} of a generated sample config."""
    sections = collections.defaultdict(set)
    section = None
    for line in text.splitlines():
        match = re.match(r'^\[(\S+)\]$', line)
        if match:
            section = match.group(1)
            continue
        # "#name = value", or "#name =" for an empty default.
        match = re.match(r'^#?(\w+) =( |$)', line)
        if match and section:
            sections[section].add(match.group(1))
    return sections


class ToolTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TOOL_TIMEOUT * 3, gentle=True))
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        # Keep the tools away from any real /etc/nova-attach-ifaces.
        self.useFixture(fixtures.EnvironmentVariable('HOME', self.tempdir))

    def run_tool(self, name, *args):
        """Run ``name`` with ``args``; return its stdout (text)."""
        result = subprocess.run(
            [os.path.join(BIN_DIR, name)] + list(args), cwd=self.tempdir,
            capture_output=True, text=True, timeout=TOOL_TIMEOUT)
        self.assertEqual(0, result.returncode,
                         '%s failed:\n%s\n%s' % (name, result.stdout,
                                                 result.stderr))
        return result.stdout

    def write(self, name, text):
        path = os.path.join(self.tempdir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def read(self, name):
        with open(os.path.join(self.tempdir, name)) as f:
            return f.read()


class TestConfigGenerator(ToolTestCase):

    def setUp(self):
        super().setUp()
        self.run_tool('oslo-config-generator',
                      '--config-file', CONFIG_GENERATOR_CONF,
                      '--output-file', 'sample.conf')
        self.sample = parse_sample(self.read('sample.conf'))

    def test_every_option_of_ours(self):
        groups = opts.list_opts()
        self.assertIn('api', [group.name for group, _opts in groups])
        for group, group_opts in groups:
            self.assertIn(group.name, self.sample)
            for opt in group_opts:
                # dest: keystoneauth1 names its options with dashes, the
                # sample (like a configuration file) with underscores.
                self.assertIn(opt.dest, self.sample[group.name],
                              '[%s] %s' % (group.name, opt.dest))

    def test_library_options(self):
        for group, names in LIBRARY_OPTIONS.items():
            for name in names:
                self.assertIn(name, self.sample[group],
                              '[%s] %s' % (group, name))

    def test_our_cors_defaults(self):
        self.assertIn('#allow_methods = GET,POST,DELETE',
                      self.read('sample.conf'))


class TestPolicyTools(ToolTestCase):

    def rule_names(self):
        return [rule.name for rule in policies.list_rules()]

    def test_sample_policy_names_every_rule(self):
        self.run_tool('oslopolicy-sample-generator',
                      '--config-file', POLICY_GENERATOR_CONF,
                      '--output-file', 'policy.yaml.sample')
        sample = self.read('policy.yaml.sample')
        for name in self.rule_names():
            self.assertIn('#"%s":' % name, sample)
        # Nova's pre-Ussuri rule is documented as the deprecated alias.
        alias = ('# "os_compute_api:os-attach-interfaces": '
                 '"rule:%s"' % CREATE)
        self.assertIn(alias, sample)

    def _override_config(self):
        self.write('policy.yaml', '\n'.join([
            '"%s": "rule:project_reader_or_admin"' % CREATE,
            # The same as the default: redundant.
            '"%s": "rule:project_reader_or_admin"' % LIST, '']))
        return self.write('nova-attach-ifaces.conf', (
            '[oslo_policy]\npolicy_file = %s\n'
            % os.path.join(self.tempdir, 'policy.yaml')))

    def test_policy_generator_through_the_enforcer(self):
        config = self._override_config()
        output = self.run_tool('oslopolicy-policy-generator',
                               '--namespace', NAMESPACE,
                               '--config-file', config)
        for name in self.rule_names():
            self.assertIn('"%s":' % name, output)
        # The policy file named in the configuration was applied.
        self.assertIn('"%s": "rule:project_reader_or_admin"' % CREATE,
                      output)
        self.assertIn('"%s": "rule:project_member_or_admin"' % DELETE,
                      output)

    def test_list_redundant(self):
        config = self._override_config()
        output = self.run_tool('oslopolicy-list-redundant',
                               '--namespace', NAMESPACE,
                               '--config-file', config)
        self.assertIn('"%s": "rule:project_reader_or_admin"' % LIST, output)
        self.assertNotIn(CREATE, output)

    def test_checker_on_the_effective_policy(self):
        self.run_tool('oslopolicy-policy-generator',
                      '--namespace', NAMESPACE,
                      '--output-file', 'effective.yaml')
        access = self.write('reader.json', jsonutils.dumps({'token': {
            'roles': [{'id': 'r', 'name': 'reader'}],
            'user': {'id': 'alice'},
            'project': {'id': 'demo'}}}))
        output = self.run_tool('oslopolicy-checker',
                               '--policy', 'effective.yaml',
                               '--access', access)
        for rule in (LIST, SHOW):
            self.assertIn('passed: %s' % rule, output)
        for rule in (CREATE, DELETE):
            self.assertIn('failed: %s' % rule, output)
