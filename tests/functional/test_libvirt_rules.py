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
"""Visibility, policy and lock on the ``libvirt`` driver, as on the others.

The lock is set as an operator sets it, with ``nova-attach-ifaces-manage
server lock|unlock``: in this process on the embedded QEMU (whose root
only one process may open), and as a separate process on a libvirtd.
"""

import io
import json
import os
import subprocess
import sys
import uuid

import fixtures as fixtures_lib

from nova_attach_ifaces.cmd import manage
from tests.functional import libvirt_fixtures
from tests.services import libvirtd

MANAGE = os.path.join(os.path.dirname(sys.executable),
                      'nova-attach-ifaces-manage')


class RulesMixin:

    def config_file(self):
        path = os.path.join(self.tempdir, 'manage.conf')
        with open(path, 'w') as f:
            f.write('[compute]\ndriver = libvirt\n'
                    '[libvirt]\nconnection_uri = %s\n' % self.qemu.uri)
        return path

    def manage(self, *argv):
        """``nova-attach-ifaces-manage`` in this process: (code, out, err)."""
        out, err = io.StringIO(), io.StringIO()
        with fixtures_lib.MonkeyPatch('sys.stdout', out), \
                fixtures_lib.MonkeyPatch('sys.stderr', err):
            code = manage.main(['--config-file', self.config_file()] +
                               list(argv))
        return code, out.getvalue(), err.getvalue()

    def assertLocked(self, server, locked):
        code, out, err = self.manage('server', 'lock' if locked else
                                     'unlock', server, '-f', 'json')
        self.assertEqual(0, code, err)
        shown = json.loads(out)
        self.assertEqual((server, self.project, 'active', locked),
                         (shown['id'], shown['project_id'],
                          shown['vm_state'], shown['locked']))

    def check_lock_rules(self):
        """A locked server refuses members' changes, not admins'; its
        list and show answer; unlocked, members may change it again.
        """
        self.assertLocked(self.server, True)
        response = self.request('', 'POST', {'interfaceAttachment': {
            'net_id': self.net}})
        self.assertEqual(409, response.status_int, response.body)
        self.assertEqual('Instance %s is locked' % self.server,
                         response.json['conflictingRequest']['message'])
        self.assertEqual({}, self.domain_nics())
        port = self.attach(user='admin')['port_id']
        self.assertEqual([port], [a['port_id'] for a in self.listed()])
        self.assertEqual(200, self.request('/' + port).status_int)
        response = self.request('/' + port, 'DELETE')
        self.assertEqual(409, response.status_int, response.body)
        self.assertEqual([port], list(self.domain_nics()))
        self.assertLocked(self.server, False)
        response = self.request('/' + port, 'DELETE')
        self.assertEqual(202, response.status_int, response.body)
        self.attach()


class TestRules(RulesMixin, libvirt_fixtures.LibvirtAPITestBase):

    def test_other_projects_and_unknown_servers_are_404(self):
        port = self.attach()['port_id']
        other = uuid.uuid4().hex
        for path, method in (('', 'GET'), ('/' + port, 'GET'),
                             ('/' + port, 'DELETE')):
            response = self.request(path, method, project=other)
            self.assertEqual(404, response.status_int, response.body)
            self.assertIn('itemNotFound', response.json)
        response = self.request('', 'POST', {'interfaceAttachment': {
            'net_id': self.net}}, project=other)
        self.assertEqual(404, response.status_int, response.body)
        self.assertEqual([port], list(self.domain_nics()))
        # An admin of any project sees it.
        self.assertEqual([port], [a['port_id'] for a in self.request(
            project=other, user='admin').json['interfaceAttachments']])
        response = self.request(server=str(uuid.uuid4()))
        self.assertEqual(404, response.status_int)
        self.assertIn('itemNotFound', response.json)

    def test_domain_without_owner_is_only_for_admins(self):
        server = self.qemu.define(self)
        self.assertEqual(404, self.request(server=server).status_int)
        self.assertEqual(200, self.request(server=server,
                                           user='admin').status_int)

    def test_lock_rules(self):
        self.check_lock_rules()

    def test_lock_of_unknown_server_fails(self):
        code, out, err = self.manage('server', 'lock', str(uuid.uuid4()))
        self.assertEqual(1, code)
        self.assertIn('not found at %s' % self.qemu.uri, err)

    def test_lock_of_embedded_root_held_elsewhere_says_so(self):
        # This process holds the root: another process cannot open it.
        result = subprocess.run(
            [MANAGE, '--config-file', self.config_file(), 'server', 'lock',
             self.server], capture_output=True, text=True, timeout=120)
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn('an embedded root is used by one process at a time',
                      result.stderr)


class TestPolicy(libvirt_fixtures.LibvirtAPITestBase):

    policy_rules = {'os_compute_api:os-attach-interfaces:delete':
                    'role:admin'}

    def test_policy_refuses_with_403_and_changes_nothing(self):
        port = self.attach()['port_id']
        response = self.request('/' + port, 'DELETE')
        self.assertEqual(403, response.status_int, response.body)
        self.assertIn("os_compute_api:os-attach-interfaces:delete",
                      response.json['forbidden']['message'])
        self.assertEqual([port], list(self.domain_nics()))
        self.assertEqual([port], list(self.ports()))
        response = self.request('/' + port, 'DELETE', user='admin')
        self.assertEqual(202, response.status_int, response.body)


class TestLockOnLibvirtd(RulesMixin, libvirt_fixtures.LibvirtAPITestBase):

    def get_qemu(self):
        return libvirtd.get(self)

    def test_lock_from_another_process(self):
        result = subprocess.run(
            [MANAGE, '--config-file', self.config_file(), 'server', 'lock',
             self.server, '-f', 'json'], capture_output=True, text=True,
            timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertTrue(json.loads(result.stdout)['locked'])
        # The running app reads it on the next request.
        response = self.request('', 'POST', {'interfaceAttachment': {
            'net_id': self.net}})
        self.assertEqual(409, response.status_int, response.body)
        result = subprocess.run(
            [MANAGE, '--config-file', self.config_file(), 'server',
             'unlock', self.server], capture_output=True, text=True,
            timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        self.attach()
