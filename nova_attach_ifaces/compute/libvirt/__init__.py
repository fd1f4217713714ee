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
"""The ``libvirt`` compute driver: the host's libvirt domains are the
servers, and NICs are hot-plugged into them through libvirt.

* :mod:`.events`: libvirt's event loop thread, and one event registration
  per connection shared by its users;
* :mod:`.connection`: the libvirt connection and its reconnection;
* :mod:`.domain`: reading and writing domain XML (servers, NICs, the
  service's metadata, PCI slots);
* :mod:`.host`: :class:`~.host.LibvirtHypervisor`, the hypervisor contract
  on one host;
* :mod:`.driver`: the compute driver, a hosted driver over that hypervisor
  and the configured network backend.
"""
