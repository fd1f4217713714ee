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
"""Sphinx configuration of the API reference (os-api-ref)."""

extensions = [
    'os_api_ref',
    'openstackdocstheme',
]

project = 'nova-attach-ifaces API Reference'
copyright = 'nova-attach-ifaces developers'
master_doc = 'index'
exclude_patterns = ['_build']

openstackdocs_repo_name = 'nova-attach-ifaces'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False
html_theme = 'openstackdocs'
html_theme_options = {'sidebar_mode': 'toc'}
