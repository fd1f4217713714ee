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
"""oslo.messaging plumbing shared by the API workers and the agents.

One topic, ``nova-attach-ifaces-compute``, on which every agent listens
with its ``[DEFAULT] host`` as its server name (see
:mod:`nova_attach_ifaces.agent`), and the versioned notifier. What crosses
the bus is plain JSON: the request context as oslo.context's ``to_dict()``,
and the value objects of the driver and network contracts (frozen
dataclasses) tagged with their class name, so that each side gets the
same objects back. Only the classes registered here can cross, and only
the domain exceptions of :mod:`nova_attach_ifaces.compute.exception` are
rebuilt on the caller's side (anything else arrives as oslo.messaging's
``RemoteError``).
"""

import collections.abc
import dataclasses

import oslo_messaging

from nova_attach_ifaces.compute import driver
from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute import hypervisor
from nova_attach_ifaces import context as nai_context
from nova_attach_ifaces.network import backend

TOPIC = 'nova-attach-ifaces-compute'

#: Modules whose exceptions an RPC reply may carry back as themselves.
ALLOWED_EXMODS = [exception.__name__]

_TAG = 'nai_object.name'
_DATA = 'nai_object.data'

_REGISTRY = {}


def register(cls):
    """Let the frozen dataclass ``cls`` cross the bus (usable as a
    decorator); its class name must be unique among those registered.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError('%r is not a dataclass' % cls)
    known = _REGISTRY.setdefault(cls.__name__, cls)
    if known is not cls:
        raise ValueError('another %s is registered already' % cls.__name__)
    return cls


for _cls in (driver.Server, driver.FixedIp, driver.Attachment, backend.Port,
             hypervisor.Nic):
    register(_cls)


def to_primitive(value):
    """JSON-able form of ``value`` (registered dataclasses tagged)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _REGISTRY.get(name) is not type(value):
            raise TypeError('%s is not registered to cross the bus' % name)
        return {_TAG: name,
                _DATA: {field.name: to_primitive(getattr(value, field.name))
                        for field in dataclasses.fields(value)}}
    if isinstance(value, collections.abc.Mapping):
        return {key: to_primitive(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_primitive(item) for item in value]
    return value


def from_primitive(value, in_object=False):
    """The inverse of :func:`to_primitive`; lists inside a value object
    come back as tuples, as the frozen dataclasses keep them.
    """
    if isinstance(value, dict):
        if _TAG in value:
            cls = _REGISTRY[value[_TAG]]
            return cls(**{key: from_primitive(item, in_object=True)
                          for key, item in value[_DATA].items()})
        return {key: from_primitive(item, in_object)
                for key, item in value.items()}
    if isinstance(value, list):
        items = [from_primitive(item, in_object) for item in value]
        return tuple(items) if in_object else items
    return value


class Serializer(oslo_messaging.Serializer):
    """Contexts and value objects to JSON and back (module docstring)."""

    def serialize_entity(self, ctxt, entity):
        return to_primitive(entity)

    def deserialize_entity(self, ctxt, entity):
        return from_primitive(entity)

    def serialize_context(self, ctxt):
        return ctxt.to_dict()

    def deserialize_context(self, ctxt):
        return nai_context.RequestContext.from_dict(ctxt)


def get_rpc_transport(conf):
    """The RPC transport of ``[DEFAULT] transport_url``."""
    return oslo_messaging.get_rpc_transport(
        conf, allowed_remote_exmods=ALLOWED_EXMODS)


def get_versioned_notifier(conf):
    """The notifier of Nova's versioned notifications (``prepare()`` it
    with the publisher id), or None when ``[oslo_messaging_notifications]
    driver`` sends nothing.
    """
    drivers = [name for name in conf.oslo_messaging_notifications.driver
               if name != 'noop']
    if not drivers:
        return None
    return oslo_messaging.Notifier(
        oslo_messaging.get_notification_transport(conf),
        serializer=Serializer(),
        topics=conf.notifications.versioned_notifications_topics)
