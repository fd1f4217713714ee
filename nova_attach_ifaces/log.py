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
"""oslo.log, set up as configured, with a formatter that remembers more.

Every API request writes one INFO line (:mod:`.api.request_log`), and
oslo.log's ``ContextFormatter`` spent more on it than the rest of a list
request: it asks the request context for its logging values twice per
line, builds a local time zone object per line, and formats the same
second's date again for every line. :class:`ContextFormatter` is that
formatter, with the same options and the same output, that keeps what
cannot change within a record or within a second. :func:`setup` runs
oslo.log's own set-up (``log_file``, ``use_stderr``, syslog, journal,
``log_config_append``, ``use_json``...) and then gives each handler that
oslo.log gave a ``ContextFormatter`` this one instead, built with the same
project, version, date format and configuration.
"""

import datetime
import logging as std_logging

from dateutil import tz
from oslo_context import context as context_utils
from oslo_log import formatters
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_MISSING = object()
# The context attributes from which oslo.log's formatter builds an
# "[instance: ...]" prefix; a context that has one is left to the
# library as it is (none of ours has).
_INSTANCE_ATTRS = ('instance', 'instance_uuid', 'resource_uuid')


class ContextFormatter(formatters.ContextFormatter):
    """oslo.log's ``ContextFormatter``, caching per record and per second.

    * The context's ``get_logging_values()`` is called once per record
      (the library calls it twice) and handed to the library as the
      record's context mapping, which the library accepts in place of the
      context object.
    * The date (``formatTime`` with a date format) and the ISO time's
      second and UTC offset are computed once per second. The local time
      zone is read again each new second.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One tuple each, replaced whole, so that threads sharing the
        # formatter never see a half-updated cache.
        self._date = (None, None)
        self._iso = (None, None, None)

    def format(self, record):
        saved = record.__dict__.get('context', _MISSING)
        context = (context_utils.get_current() if saved is _MISSING
                   else saved)
        if (isinstance(context, context_utils.RequestContext) and
                not any(getattr(context, name, None)
                        for name in _INSTANCE_ATTRS)):
            record.context = context.get_logging_values()
        try:
            return super().format(record)
        finally:
            # Other handlers' formatters see the record as it came.
            if saved is _MISSING:
                record.__dict__.pop('context', None)
            else:
                record.context = saved

    def formatTime(self, record, datefmt=None):
        if not datefmt:
            # The default format carries milliseconds.
            return super().formatTime(record, datefmt)
        # converter() is localtime or gmtime, which truncate to the second.
        key = (int(record.created), datefmt)
        cached_key, text = self._date
        if cached_key != key:
            text = super().formatTime(record, datefmt)
            self._date = (key, text)
        return text

    def _compute_iso_time(self, record):
        # What the library computes, the date and offset kept per second:
        # "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" in the local time zone.
        created = datetime.datetime.fromtimestamp(record.created)
        micro = created.microsecond
        second = created.replace(microsecond=0)
        cached_second, head, tail = self._iso
        if cached_second != second:
            text = second.replace(tzinfo=tz.tzlocal()).isoformat()
            head, tail = text[:19], text[19:]
            self._iso = (second, head, tail)
        if micro:
            record.isotime = '%s.%06d%s' % (head, micro, tail)
        elif record.created == int(record.created):
            # The library adds the zero microseconds only then.
            record.isotime = '%s.000000%s' % (head, tail)
        else:
            record.isotime = head + tail


def install_formatters(logger=None):
    """Replace oslo.log's ``ContextFormatter`` on ``logger``'s handlers.

    :param logger: a standard library logger; default the root logger,
        where oslo.log puts its handlers.
    """
    logger = logger or std_logging.getLogger()
    for handler in logger.handlers:
        current = handler.formatter
        # Exactly the library's class: an operator's own formatter (from
        # log_config_append) is theirs.
        if type(current) is formatters.ContextFormatter:
            handler.setFormatter(ContextFormatter(
                project=current.project, version=current.version,
                datefmt=current.datefmt, config=current.conf))


def setup(config, project):
    """``oslo_log.log.setup``, then :func:`install_formatters`."""
    logging.setup(config, project)
    install_formatters()
