# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's timeline picture, rendered by a real SVG renderer (librsvg's ``rsvg-convert``,
Debian package librsvg2-bin, installed by ``make deps``): the document renders, at its size, and
shows what it draws where it draws it. A malformed document fails the render. No lab needed:
the report playbook runs on a local inventory too.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
for _path in (os.environ.get('ISSU_COLLECTIONS_PATH'), os.environ.get('ANSIBLE_COLLECTIONS_PATH'),
              str(REPO_ROOT / '.build' / 'collections')):      # `make collection` links this checkout there
    if _path and _path not in sys.path:
        sys.path.append(_path)
sys.path.insert(0, str(REPO_ROOT / 'tests' / 'unit' / 'plugins' / 'filter'))  # the sample records
# pylint: disable=wrong-import-position
from ansible_collections.opencontrail.issu.plugins.filter.issu_timeline_svg import COLOURS, issu_timeline_svg  # noqa: E402
from issu_records import ABORTED, FROZEN, FULL, MID_COMPUTES, ROLLBACK_AND_FAILURE  # noqa: E402

pytestmark = pytest.mark.integration

NS = '{http://www.w3.org/2000/svg}'
RSVG = shutil.which('rsvg-convert')
WHITE = (255, 255, 255)


@pytest.fixture(autouse=True)
def _renderer():
    if RSVG is None:
        pytest.skip('rsvg-convert is not installed (Debian package librsvg2-bin; `make deps` installs it)')


def read_png(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _compression, _filter, interlace = header
    assert depth == 8 and colour in (2, 6) and not interlace, header
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b''.join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xff
            elif kind == 2:
                line[i] = (line[i] + up) & 0xff
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xff
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + near[2]) & 0xff
            else:
                assert kind == 0, 'PNG filter type %d' % kind
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def render(svg_text, tmp_path, name='timeline'):
    """rsvg-convert's PNG of the document (fails on a document it cannot render)."""
    svg, png = tmp_path / (name + '.svg'), tmp_path / (name + '.png')
    svg.write_text(svg_text, encoding='utf-8')
    proc = subprocess.run([RSVG, '--format', 'png', '--output', str(png), str(svg)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and png.exists(), 'rsvg-convert refused %s: %s' % (svg, proc.stderr)
    return read_png(png)


def hex_rgb(colour):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def centre(rect):
    return (int(float(rect.get('x')) + float(rect.get('width')) / 2),
            int(float(rect.get('y')) + float(rect.get('height')) / 2))


def near(pixel, colour, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def rects(svg_text, cls):
    return [r for r in ET.fromstring(svg_text.encode('utf-8')).iter(NS + 'rect') if cls in r.get('class', '').split()]


def test_the_picture_renders_at_its_size_with_the_freeze_windows_and_outages_where_drawn(tmp_path):
    text = issu_timeline_svg(FULL)
    root = ET.fromstring(text.encode('utf-8'))
    width, height, rows = render(text, tmp_path)
    assert (width, height) == (int(root.get('width')), int(root.get('height')))
    assert rows[4][width - 4] == WHITE                     # the background, not a transparent void
    freezes = rects(text, 'freeze')
    assert len(freezes) == 2
    for rect in freezes + rects(text, 'outage'):
        x, y = centre(rect)
        assert near(rows[y][x], hex_rgb(rect.get('fill'))), (rect.attrib, rows[y][x])
    # between the two windows the northbound lane is background, not freeze red
    x, y = centre(freezes[0])
    between = [rows[y][px] for px in range(x + 20, int(float(freezes[1].get('x'))) - 200)]
    assert between and not any(near(p, hex_rgb(COLOURS['freeze'])) for p in between)
    # the lane names, labels and statuses are there as ink on the left and right columns
    assert sum(1 for row in rows for p in row[:150] if p[0] < 128) > 500
    assert sum(1 for row in rows for p in row[-300:] if p[0] < 128) > 500


@pytest.mark.parametrize('record', [FULL, ROLLBACK_AND_FAILURE, MID_COMPUTES, ABORTED, FROZEN, None,
                                    {'phase': 'new', 'history': [], 'hosts': {}}],
                         ids=['full', 'rollback-and-failure', 'mid-computes', 'aborted', 'frozen', 'no-record', 'new'])
def test_every_sample_record_renders(tmp_path, record):
    text = issu_timeline_svg(record)
    width, height, rows = render(text, tmp_path)
    assert width == 1200 and height > 40
    colours = set(p for row in rows for p in row)
    assert len(colours) > 20, 'a blank picture'                     # text at least, anti-aliased


def test_failures_are_drawn_in_the_failure_colour(tmp_path):
    text = issu_timeline_svg(ROLLBACK_AND_FAILURE)
    _width, _height, rows = render(text, tmp_path)
    root = ET.fromstring(text.encode('utf-8'))
    marks = [p for p in root.iter(NS + 'path') if p.get('class') == 'failure']
    assert len(marks) == 2
    for mark in marks:
        x, y = (float(v) for v in mark.get('d')[1:].split('L')[0].split())
        x, y = int(x + 5), int(y + 5)                                # the crossing of the X
        assert near(rows[y][x], hex_rgb(COLOURS['failed']), 40), rows[y][x]


def test_a_malformed_picture_fails_the_render(tmp_path):
    text = issu_timeline_svg(FULL)
    with pytest.raises(AssertionError, match='rsvg-convert refused'):
        render(text[:len(text) // 2], tmp_path)


def test_the_report_playbook_writes_the_picture(collections_path, tmp_path):
    """issu_report.yml on a local inventory: the picture beside the text report, at issu_report_svg
    or ./issu-report.svg; an unreadable record gets a picture saying so and the report fails."""
    (tmp_path / 'state.json').write_text(json.dumps(FULL))
    (tmp_path / 'broken.json').write_text('{"version": 1, "phase"')
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
        'children': {'issu_task': {'hosts': {'v2ctl': None}}}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_RETRY_FILES_ENABLED='0')

    def report(*extra):
        cmd = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory),
               str(REPO_ROOT / 'playbooks' / 'issu_report.yml')]
        for item in extra:
            cmd += ['-e', json.dumps(item)]
        return subprocess.run(cmd, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                              check=False)

    run = report({'state_path': str(tmp_path / 'state.json')})
    assert run.returncode == 0, run.stdout[-3000:]
    picture = tmp_path / 'issu-report.svg'
    assert 'Timeline picture: %s' % picture in run.stdout and 'ISSU phase: finalized' in run.stdout
    assert picture.read_text(encoding='utf-8') == issu_timeline_svg(FULL)
    render(picture.read_text(encoding='utf-8'), tmp_path, 'written')

    run = report({'state_path': str(tmp_path / 'broken.json'), 'issu_report_svg': 'broken.svg'})
    assert run.returncode != 0 and 'is not valid JSON' in run.stdout, run.stdout[-3000:]
    text = (tmp_path / 'broken.svg').read_text(encoding='utf-8')
    assert 'Not drawn: the timeline - the ISSU state record could not be read: the ISSU state record' in text
    render(text, tmp_path, 'broken')

    run = report({'state_path': str(tmp_path / 'state.json'), 'issu_report_svg': str(tmp_path / 'no' / 'x.svg')})
    assert run.returncode == 0, run.stdout[-3000:]
    assert 'WARNING: the timeline picture was not written to %s' % (tmp_path / 'no' / 'x.svg') in run.stdout
