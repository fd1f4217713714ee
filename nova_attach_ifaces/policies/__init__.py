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
"""Policy defaults of nova-attach-ifaces (Nova's, for os-interface)."""

import itertools

from nova_attach_ifaces.policies import attach_interfaces
from nova_attach_ifaces.policies import base
from nova_attach_ifaces.policies import servers


def list_rules():
    return list(itertools.chain(base.list_rules(),
                                attach_interfaces.list_rules(),
                                servers.list_rules()))
