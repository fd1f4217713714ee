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
"""An ML2 mechanism driver for the test Neutron: it binds every port.

Without a mechanism driver (and its agent) Neutron answers a binding with
``binding_failed``. This one runs inside the test Neutron's own virtualenv
(:mod:`tests.services.neutron` installs it there) and binds any port on any
host to the first segment offered, with the ``vif_type`` and details set
in ``[nai_test_binding]`` of Neutron's configuration: ``bridge`` with a
``bridge_name``, or ``ovs``.
"""

from neutron_lib.plugins.ml2 import api
from oslo_config import cfg

OPTS = [
    cfg.StrOpt('vif_type', default='bridge'),
    cfg.StrOpt('bridge_name', default='br-nai'),
]


class BindEverything(api.MechanismDriver):

    def initialize(self):
        cfg.CONF.register_opts(OPTS, group='nai_test_binding')

    def bind_port(self, context):
        conf = cfg.CONF.nai_test_binding
        details = {'port_filter': False}
        if conf.vif_type == 'bridge':
            details['bridge_name'] = conf.bridge_name
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], conf.vif_type, details,
                                status='ACTIVE')
            return
