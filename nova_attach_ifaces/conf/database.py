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
"""Options of the [database] (oslo.db) and [sql] groups, for the sql driver.

``[database]`` is oslo.db's own group, registered on *our* ``ConfigOpts``
(never on ``cfg.CONF``): ``connection`` selects PostgreSQL or MariaDB/MySQL
by URL; left unset, the ``sql`` driver uses an embedded SQLite file in
``[sql] state_dir``.
"""

from oslo_config import cfg
from oslo_db import options as db_options

DATABASE_GROUP = cfg.OptGroup('database', title='Database options (oslo.db)')

GROUP = cfg.OptGroup('sql', title='SQL compute driver options')

OPTS = [
    cfg.StrOpt(
        'state_dir',
        default='./state',
        help='Directory of the embedded SQLite database '
             '(nova-attach-ifaces.sqlite), used when [database] connection '
             'is unset. Created if missing. A relative path is relative to '
             'the working directory of the process.'),
    cfg.StrOpt(
        'inventory_file',
        help='YAML inventory (format: etc/nova-attach-ifaces/'
             'inventory.yaml.sample) loaded at start when the database '
             'holds no network, port or server yet. A relative path is '
             'looked up in the configuration directories. Unset: start '
             'with what the database holds.'),
    cfg.BoolOpt(
        'auto_migrate',
        default=True,
        help='Create or upgrade the database schema when the driver '
             'starts (under a lock, so concurrent workers are safe). '
             'Disable to manage the schema only with '
             '"nova-attach-ifaces-manage db sync".'),
    cfg.IntOpt(
        'sqlite_busy_timeout',
        default=30,
        min=0,
        help='Seconds an SQLite writer waits for another process\'s '
             'write transaction to end before giving up (503).'),
]


def register_opts(conf):
    # oslo.db's defaults (set_defaults registers the [database] options).
    db_options.set_defaults(conf)
    # A group object of our own per ConfigOpts: register_group() keeps a
    # shallow copy whose option table is shared with the object given, so
    # an override set on one ConfigOpts would show on every other one
    # (tests and the manage command build several).
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title))
    conf.register_opts(OPTS, group=GROUP.name)


def list_opts():
    return {
        DATABASE_GROUP: [opt for _group, opts in db_options.list_opts()
                         for opt in opts],
        GROUP: OPTS,
    }
