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
"""Our log lines are oslo.log's, for the same records and options.

:class:`nova_attach_ifaces.log.ContextFormatter` caches per record and per
second; each test formats the same record with it and with oslo.log's own
``ContextFormatter`` and compares the two lines, for generated records
(times, levels, messages, contexts, exceptions) and generated operator
options (``logging_context_format_string`` with every field oslo.log
fills, date formats, ``logging_user_identity_format``...), in a time zone
with daylight saving time. One formatter of ours serves a whole run, so
its per-second caches meet times in every order.
"""

import logging as std_logging
import os
import sys
import time

import fixtures
import hypothesis
from hypothesis import strategies as st
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_context import context as oslo_context
from oslo_log import formatters
from oslo_log import log as oslo_log
from oslotest import base

from nova_attach_ifaces import context as nai_context
from nova_attach_ifaces import log

# Every attribute oslo.log's ContextFormatter or the standard library
# put on a record, as an operator may name them.
FIELDS = (
    'asctime', 'msecs', 'isotime', 'process', 'processName', 'thread',
    'threadName', 'levelname', 'levelno', 'name', 'module', 'funcName',
    'lineno', 'pathname', 'filename', 'created', 'relativeCreated',
    'request_id', 'global_request_id', 'user_identity', 'instance',
    'resource', 'user_name', 'project_name', 'user', 'project', 'system_scope',
    'domain', 'user_domain', 'project_domain', 'color', 'error_summary',
    'version', 'message')

FORMATS = st.one_of(
    st.none(),   # the option's default
    st.just('%(isotime)s|%(asctime)s|%(msecs)03d %(message)s'),
    st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8).map(
        lambda names: ' '.join('%%(%s)s' % name for name in names)))
DATE_FORMATS = st.sampled_from(
    ['%Y-%m-%d %H:%M:%S', '%d/%b/%Y:%H:%M:%S %z', '%s', '%c %Z'])
IDS = st.one_of(st.none(), st.text('0123456789abcdef', min_size=1,
                                   max_size=32))
CREATED = st.one_of(
    st.floats(min_value=0, max_value=4.1e9, allow_nan=False),
    # Whole seconds, and the last microsecond of one (rounds up).
    st.integers(min_value=0, max_value=4_100_000_000).map(float),
    st.integers(min_value=0, max_value=4_100_000_000).map(
        lambda s: s + 0.9999996),
    # Around the daylight saving time changes of Europe/Paris in 2026.
    st.floats(min_value=1774746000 - 4, max_value=1774746000 + 4),
    st.floats(min_value=1792890000 - 4, max_value=1792890000 + 4))


@st.composite
def contexts(draw):
    kind = draw(st.sampled_from(['none', 'oslo', 'ours', 'resource']))
    if kind == 'none':
        return None
    cls = (nai_context.RequestContext if kind == 'ours'
           else oslo_context.RequestContext)
    ctx = cls(user_id=draw(IDS), project_id=draw(IDS),
              domain_id=draw(IDS), user_domain_id=draw(IDS),
              project_domain_id=draw(IDS),
              request_id=draw(st.one_of(st.none(), IDS.map(
                  lambda i: i and 'req-' + i))),
              global_request_id=draw(IDS),
              user_name=draw(IDS), project_name=draw(IDS),
              roles=draw(st.lists(st.sampled_from(
                  ['reader', 'member', 'admin']), unique=True)),
              overwrite=False)
    if kind == 'resource':
        ctx.resource_uuid = draw(IDS) or 'r'
    return ctx


def _exc_info():
    try:
        raise ValueError('boom %s' % 'x')
    except ValueError:
        return sys.exc_info()


@st.composite
def records(draw):
    record = std_logging.LogRecord(
        name=draw(st.sampled_from(['nova_attach_ifaces.api.request_log',
                                   'oslo_policy.policy'])),
        level=draw(st.sampled_from([std_logging.DEBUG, std_logging.INFO,
                                    std_logging.WARNING,
                                    std_logging.ERROR])),
        pathname=__file__, lineno=draw(st.integers(1, 999)),
        msg='%(a)s said %(b)r', args=({'a': draw(st.text(max_size=20)),
                                       'b': draw(st.integers())},),
        exc_info=_exc_info() if draw(st.booleans()) else None,
        func='f')
    record.created = draw(CREATED)
    record.msecs = (record.created - int(record.created)) * 1000
    return record


def _outcome(formatter, record_dict):
    """The line, or the exception, ``formatter`` makes of a record."""
    try:
        return formatter.format(std_logging.makeLogRecord(record_dict))
    except Exception as e:
        return type(e), str(e)


class FormatterTestCase(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        # A zone with daylight saving time, read again by time.tzset().
        self.useFixture(fixtures.EnvironmentVariable('TZ', 'Europe/Paris'))
        time.tzset()
        self.addCleanup(time.tzset)
        self.conf = cfg.ConfigOpts()
        oslo_log.register_options(self.conf)
        self.conf_fixture = self.useFixture(config_fixture.Config(self.conf))
        self.conf([], project='nova-attach-ifaces', default_config_files=[])
        self.ours = {}
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_context.context._request_store', type(
                oslo_context._request_store)()))

    def _formatters(self, datefmt):
        # One of ours per date format for the whole run; the library's
        # fresh each time, so that it caches nothing.
        if datefmt not in self.ours:
            self.ours[datefmt] = log.ContextFormatter(
                project='p', version='1', datefmt=datefmt, config=self.conf)
        theirs = formatters.ContextFormatter(
            project='p', version='1', datefmt=datefmt, config=self.conf)
        return self.ours[datefmt], theirs

    @hypothesis.settings(max_examples=500, deadline=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(record=records(), ctx=contexts(),
                      current=st.booleans(), context_format=FORMATS,
                      default_format=FORMATS, datefmt=DATE_FORMATS,
                      identity=st.sampled_from([
                          None, '%(user)s/%(project)s',
                          '%(user_name)s %(project_name)s %(domain)s']),
                      suffix=st.sampled_from(['', '%(funcName)s']),
                      later=st.lists(st.floats(0, 2.5), max_size=4))
    def test_same_line_as_oslo_log(self, record, ctx, current,
                                   context_format, default_format, datefmt,
                                   identity, suffix, later):
        for name, value in (
                ('logging_context_format_string', context_format),
                ('logging_default_format_string', default_format),
                ('logging_user_identity_format', identity),
                ('logging_debug_format_suffix', suffix or None)):
            if value is None:
                self.conf.clear_override(name)
            else:
                self.conf_fixture.config(**{name: value})
        # The context either rides on the record (LOG.info(...,
        # context=ctx)) or is the thread's current one.
        if ctx is not None and current:
            ctx.update_store()
        else:
            oslo_context._request_store.context = None
            if ctx is not None:
                record.context = ctx
        ours, theirs = self._formatters(datefmt)
        # The same record again, within the next seconds: what the
        # per-second caches keep must change exactly when the second does.
        for delay in [0.0] + later:
            before = dict(record.__dict__)
            before['created'] += delay
            before['msecs'] = (before['created'] % 1) * 1000
            self.assertEqual(_outcome(theirs, before),
                             _outcome(ours, before))


class SetupTestCase(base.BaseTestCase):
    """log.setup installs our formatter wherever oslo.log put its own."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conf = cfg.ConfigOpts()
        oslo_log.register_options(self.conf)
        self.conf_fixture = self.useFixture(config_fixture.Config(self.conf))
        self.conf([], project='nova-attach-ifaces', default_config_files=[])
        root = std_logging.getLogger()
        saved = list(root.handlers), root.level

        def restore():
            for handler in list(root.handlers):
                root.removeHandler(handler)
            for handler in saved[0]:
                root.addHandler(handler)
            root.setLevel(saved[1])
        self.addCleanup(restore)

    def _lines(self, setup, record):
        """What each root handler makes of ``record``, after ``setup``."""
        setup(self.conf, 'nova-attach-ifaces')
        handlers = std_logging.getLogger().handlers
        return ([type(h.formatter) for h in handlers],
                [h.format(std_logging.makeLogRecord(dict(record.__dict__)))
                 for h in handlers])

    def _check(self, expected_types):
        ctx = nai_context.RequestContext(
            user_id='u', project_id='p', request_id='req-1',
            global_request_id='req-g', roles=['member'], overwrite=False)
        record = std_logging.LogRecord(
            'nova_attach_ifaces.api.request_log', std_logging.INFO,
            __file__, 1, 'hello %s', ('there',), None, 'f')
        record.context = ctx
        theirs_types, theirs = self._lines(oslo_log.setup, record)
        ours_types, ours = self._lines(log.setup, record)
        self.assertEqual(theirs, ours)
        self.assertEqual(expected_types, ours_types)
        return theirs_types

    def test_log_file_and_stderr(self):
        self.conf_fixture.config(log_file=os.path.join(self.tmp, 'a.log'),
                                 use_stderr=True)
        self._check([log.ContextFormatter, log.ContextFormatter])

    def test_syslog(self):
        # Python's syslog module: lines go to the local syslog daemon,
        # if any; the formatter is what is compared.
        self.conf_fixture.config(use_syslog=True, use_stderr=False)
        self._check([log.ContextFormatter, log.ContextFormatter])

    def test_custom_format_options(self):
        self.conf_fixture.config(
            log_file=os.path.join(self.tmp, 'a.log'),
            logging_context_format_string='%(isotime)s %(user_identity)s '
                                          '%(request_id)s %(message)s',
            log_date_format='%d/%m/%Y')
        self._check([log.ContextFormatter])

    def test_use_json_left_alone(self):
        self.conf_fixture.config(use_json=True, use_stderr=True)
        self.assertEqual([formatters.JSONFormatter],
                         self._check([formatters.JSONFormatter]))

    def test_log_config_append(self):
        # The operator's file names oslo.log's formatter for one handler
        # and a formatter of their own for another.
        path = os.path.join(self.tmp, 'logging.conf')
        with open(path, 'w') as f:
            f.write(LOGGING_CONF % {'log': os.path.join(self.tmp, 'x.log')})
        self.conf_fixture.config(log_config_append=path)
        self._check([log.ContextFormatter, std_logging.Formatter])


LOGGING_CONF = """
[loggers]
keys = root

[handlers]
keys = file, plain

[formatters]
keys = context, plain

[logger_root]
level = INFO
handlers = file, plain

[handler_file]
class = FileHandler
args = ('%(log)s',)
formatter = context

[handler_plain]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_context]
class = oslo_log.formatters.ContextFormatter
datefmt = %%H:%%M:%%S

[formatter_plain]
format = %%(levelname)s %%(message)s
"""


class AccessLogTestCase(base.BaseTestCase):
    """The access line's record is the one LOG.info would have made."""

    def test_record(self):
        from nova_attach_ifaces.api import request_log

        records = []

        class Keep(std_logging.Handler):
            def emit(self, record):
                records.append(record)

        logger = std_logging.getLogger(request_log.__name__)
        handler = Keep()
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)
        self.addCleanup(setattr, logger, 'propagate', logger.propagate)
        logger.propagate = False
        self.addCleanup(logger.setLevel, logger.level)
        logger.setLevel(std_logging.INFO)
        environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/v2.1/x',
                   'REMOTE_ADDR': '192.0.2.7', 'QUERY_STRING': ''}
        for _i in range(2):
            request_log._log(environ, 'req-1', 200,
                             [('Content-Length', '12')], time.monotonic())
        request_log.LOG.info(request_log._FORMAT, records[0].args)
        ours, again, theirs = records
        self.assertEqual(
            'req-1 192.0.2.7 "GET /v2.1/x" status: 200 len: 12 '
            'microversion: - time: %.6f' % records[0].args['time'],
            ours.getMessage())
        code = request_log._log.__code__
        first, last = code.co_firstlineno, max(
            line for _s, _e, line in code.co_lines() if line)
        for record in (ours, again):
            self.assertEqual(request_log.__file__, record.pathname)
            self.assertEqual('_log', record.funcName)
            self.assertTrue(first <= record.lineno <= last)
        skip = {'created', 'msecs', 'relativeCreated', 'lineno', 'funcName',
                'pathname', 'filename', 'module', 'args', 'msg', 'message'}
        self.assertEqual(
            {k: v for k, v in vars(theirs).items() if k not in skip},
            {k: v for k, v in vars(ours).items() if k not in skip})
