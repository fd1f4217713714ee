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
"""The reads behind the read-only Neutron view of the ``sql`` store.

Networks, subnets and ports as rows of this store, for
:mod:`nova_attach_ifaces.api.networking` to show in Neutron's shapes. The
filters a client uses to find one thing (``id``, ``network_id``,
``device_id``) are pushed into the query, through the primary keys and
indexes; the rest of Neutron's filtering, and visibility, is the view's.
"""

import sqlalchemy as sa
from sqlalchemy import orm

from nova_attach_ifaces.compute.sql import models


def _in(column, values):
    return column.in_(sorted(values)) if values else sa.true()


def networks(session, ids=None):
    """The networks (``ids`` only, if given), subnets loaded."""
    return session.scalars(
        sa.select(models.Network)
        .where(_in(models.Network.id, ids))
        .options(orm.selectinload(models.Network.subnets))
        .order_by(models.Network.created_at, models.Network.id)).all()


def subnets(session, ids=None, network_ids=None):
    """``[(subnet, its network's project_id, shared)]``."""
    return session.execute(
        sa.select(models.Subnet, models.Network.project_id,
                  models.Network.shared)
        .join(models.Network, models.Subnet.network_id == models.Network.id)
        .where(_in(models.Subnet.id, ids),
               _in(models.Subnet.network_id, network_ids))
        .order_by(models.Network.created_at, models.Subnet.network_id,
                  models.Subnet.position)).all()


def ports(session, ids=None, network_ids=None, device_ids=None):
    """The ports, fixed IPs and attachment loaded.

    ``device_ids`` keeps the ports attached to those servers; ``''`` among
    them also keeps the unattached ones, as Neutron's ``device_id=``.
    """
    query = (sa.select(models.Port)
             .outerjoin(models.Attachment,
                        models.Attachment.port_id == models.Port.id)
             .where(_in(models.Port.id, ids),
                    _in(models.Port.network_id, network_ids))
             .options(orm.selectinload(models.Port.fixed_ips),
                      orm.contains_eager(models.Port.attachment))
             .order_by(models.Port.created_at, models.Port.id))
    if device_ids:
        servers = [d for d in device_ids if d]
        condition = models.Attachment.server_id.in_(sorted(servers))
        if '' in device_ids:
            condition = sa.or_(condition,
                               models.Attachment.server_id.is_(None))
        query = query.where(condition)
    return session.scalars(query).unique().all()
