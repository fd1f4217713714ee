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
"""The ``libvirt`` compute driver (``[compute] driver = libvirt``).

The host's libvirt domains are the servers (:class:`~.host.LibvirtHypervisor`
on ``[libvirt] connection_uri``) and ports come from the network backend
``[network] backend`` names; :class:`~..hosted.HostedDriver` does the
rest. Servers come from the hypervisor, so an inventory may seed networks
and ports only.
"""

from nova_attach_ifaces.compute import hosted
from nova_attach_ifaces.compute.libvirt import host
from nova_attach_ifaces.compute import loader


class LibvirtDriver(hosted.HostedDriver):

    def __init__(self, conf):
        backend = loader.load_network_backend(conf)
        try:
            hypervisor = host.LibvirtHypervisor(conf)
        except Exception:
            backend.close()
            raise
        super().__init__(conf, hypervisor, backend)
