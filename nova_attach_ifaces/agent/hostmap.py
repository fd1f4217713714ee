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
"""The host map: which hypervisor host has which server.

The agents write it, the API workers read it, in the API's database (the
``server_hosts`` table of the sql store). Agents write it directly rather
than sending their reports to the API over RPC because:

* the agents reach that database anyway with the ``sql`` network backend,
  and the store then has one writer per host and no extra hop;
* the mapping outlives every process: an API worker started a second ago
  routes at once, without waiting for reports or asking every host;
* the database decides the one hard case, the same server reported by two
  hosts, atomically: each host owns its rows, so two hosts give two rows
  and every reader sees both (never a last-writer-wins guess);
* the API workers (WSGI processes under any server) need no RPC listener.

An agent reports its whole list at start and every ``[compute_agent]
report_interval`` seconds (replacing its rows), and single changes at once
from libvirt's lifecycle events. A new domain is therefore routable within
one interval at worst, and at once when its event arrives. The rows of an
agent that is down stay: its servers answer 503 naming the host, which is
the truth, rather than 404.
"""

from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa

from nova_attach_ifaces.compute import exception
from nova_attach_ifaces.compute.sql import database as sql_database
from nova_attach_ifaces.compute.sql import migration
from nova_attach_ifaces.compute.sql import models

LOG = logging.getLogger(__name__)

_TABLE = models.ServerHost.__table__


class HostMap:
    """The ``server_hosts`` table of the database ``conf`` names.

    :param conf: the service ``ConfigOpts``; ``[database] connection`` (or
        the ``[sql]`` SQLite file) is the API's database.
    """

    def __init__(self, conf, database=None):
        self.conf = conf
        self.db = database or sql_database.Database(conf)

    def prepare(self):
        """Bring the schema to head (``[sql] auto_migrate``) or check it."""
        if self.conf.sql.auto_migrate:
            self.db.upgrade()
            return
        with self.db.engine.connect() as connection:
            migration.check_locked(connection)

    def close(self):
        self.db.dispose()

    def report(self, host, server_ids):
        """Make ``server_ids`` the whole list of ``host``'s servers.

        :returns: {server_id: [other hosts]} for those that another host
            reports too (the agent logs them: they are unusable until one
            host stops having them).
        """
        wanted = set(server_ids)
        with self.db.writer() as session:
            have = set(session.execute(
                sa.select(_TABLE.c.server_id).where(
                    _TABLE.c.host == host)).scalars())
            gone = have - wanted
            if gone:
                session.execute(_TABLE.delete().where(
                    _TABLE.c.host == host,
                    _TABLE.c.server_id.in_(sorted(gone))))
            session.execute(_TABLE.update().where(_TABLE.c.host == host)
                            .values(reported_at=models._now()))
            new = sorted(wanted - have)
            if new:
                session.execute(_TABLE.insert(), [
                    {'server_id': server_id, 'host': host,
                     'reported_at': models._now()} for server_id in new])
        return self.elsewhere(host, wanted)

    def add(self, host, server_id):
        """``host`` has ``server_id`` (a lifecycle event)."""
        try:
            with self.db.writer() as session:
                session.execute(_TABLE.insert().values(
                    server_id=server_id, host=host,
                    reported_at=models._now()))
        except db_exc.DBDuplicateEntry:
            pass
        return self.elsewhere(host, [server_id])

    def remove(self, host, server_id):
        """``host`` no longer has ``server_id`` (a lifecycle event)."""
        with self.db.writer() as session:
            session.execute(_TABLE.delete().where(
                _TABLE.c.host == host, _TABLE.c.server_id == server_id))

    def elsewhere(self, host, server_ids):
        """{server_id: [other hosts]} of ``server_ids`` that other hosts
        report too.
        """
        ids = sorted(set(server_ids))
        if not ids:
            return {}
        found = {}
        with self.db.reader() as session:
            for start in range(0, len(ids), 500):
                rows = session.execute(
                    sa.select(_TABLE.c.server_id, _TABLE.c.host).where(
                        _TABLE.c.server_id.in_(ids[start:start + 500]),
                        _TABLE.c.host != host))
                for server_id, other in rows:
                    found.setdefault(server_id, []).append(other)
        return {key: sorted(value) for key, value in found.items()}

    def servers_of(self, host):
        """The server ids ``host`` reported, sorted."""
        with self.db.reader() as session:
            return sorted(session.execute(
                sa.select(_TABLE.c.server_id).where(
                    _TABLE.c.host == host)).scalars())

    def hosts(self):
        """Every host that reports a server, sorted."""
        with self.db.reader() as session:
            return sorted(session.execute(
                sa.select(_TABLE.c.host).distinct()).scalars())

    def host_of(self, server_id):
        """The host that has ``server_id``.

        :raises ServerNotFound: no host reports it.
        :raises ServerHostAmbiguous: several hosts report it.
        """
        with self.db.reader() as session:
            hosts = sorted(session.execute(
                sa.select(_TABLE.c.host).where(
                    _TABLE.c.server_id == server_id)).scalars())
        if not hosts:
            raise exception.ServerNotFound(server_id=server_id)
        if len(hosts) > 1:
            raise exception.ServerHostAmbiguous(server_id=server_id,
                                                hosts=', '.join(hosts))
        return hosts[0]
