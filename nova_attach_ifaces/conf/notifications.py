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
"""Options of the ``[notifications]`` group: Nova's versioned
notifications of interface attach and detach.

Whether they are sent at all is oslo.messaging's
``[oslo_messaging_notifications] driver`` (unset or ``noop``: not sent;
``messagingv2``: on the notification transport, by default the RPC one).
"""

from oslo_config import cfg

GROUP = cfg.OptGroup('notifications', title='Versioned notifications')

OPTS = [
    cfg.ListOpt(
        'versioned_notifications_topics',
        default=['versioned_notifications'],
        help='Topics the versioned notifications are sent on. The default '
             'is Nova\'s, where its consumers already listen.'),
]


def register_opts(conf):
    # A group object per ConfigOpts (see conf.compute).
    conf.register_group(cfg.OptGroup(GROUP.name, title=GROUP.title))
    conf.register_opts(OPTS, group=GROUP.name)


def list_opts():
    return {GROUP: OPTS}
