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
"""JSON-schema validation with Nova's error wording.

Validators are compiled once, at import, and reused for every request.
"""

import jsonschema
from oslo_utils import uuidutils


def _is_uuid(instance):
    # Non-strings are left to the "type" keyword, as jsonschema formats do.
    if not isinstance(instance, str):
        return True
    return uuidutils.is_uuid_like(instance)


_FORMAT_CHECKER = jsonschema.FormatChecker()
_FORMAT_CHECKER.checks('uuid')(_is_uuid)


class ValidationError(Exception):
    """The input does not match the schema; the message is Nova's."""


class Validator(object):
    """A compiled schema that raises :class:`ValidationError`."""

    def __init__(self, schema):
        self._validator = jsonschema.Draft202012Validator(
            schema, format_checker=_FORMAT_CHECKER)

    def validate(self, instance):
        # The first error, as Nova reports it (not jsonschema's best_match).
        for error in self._validator.iter_errors(instance):
            raise ValidationError(_message(error))


def _message(error):
    if error.path:
        return ('Invalid input for field/attribute %(path)s. Value: '
                '%(value)s. %(message)s' % {
                    'path': error.path[-1],
                    'value': error.instance,
                    'message': error.message})
    return error.message
