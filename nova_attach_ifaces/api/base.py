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
"""The base of this service's own paste filters."""


class Filter(object):
    """Plain WSGI middleware that paste builds from the class itself.

    Subclasses implement ``__call__(environ, start_response)`` and pass the
    request on to ``self.application``. They are plain WSGI rather than
    ``webob.dec.wsgify``, which would buffer the response below and replay
    it: that cost more than most filters' own work.
    """

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.filter_factory; these filters take no options."""
        return cls
