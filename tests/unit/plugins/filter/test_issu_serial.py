"""issu_serial reads the batch specification as an AWX survey or ``-e issu_serial=...`` hands it
over (text), and refuses one a play's ``serial`` would reject or misread, with a clear message."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.opencontrail.issu.plugins.filter.issu_serial import issu_serial
from ansible_collections.opencontrail.issu.plugins.filter.serial_batches import serial_batches

CANARY = [1, '25%', '100%']


@pytest.mark.parametrize('answer, expected', [
    # a survey's text answer, JSON or YAML flow
    ('[1, "25%", "100%"]', CANARY),
    ("[1, '25%', '100%']", CANARY),
    ('[1, 25%, 100%]', CANARY),
    ('  [ 2 , "50%" ]  ', [2, '50%']),
    ('["1", "25%"]', [1, '25%']),
    # comma-separated, as typed in a text field or -e issu_serial=1,25%,100%
    ('1,25%,100%', CANARY),
    (' 1 , 25% , 100% ', CANARY),
    ('3,1', [3, 1]),
    # one size
    ('2', 2),
    (' 25% ', '25%'),
    # blank (an optional survey question left empty): the default
    ('', CANARY),
    ('   ', CANARY),
])
def test_reads_text_answers(answer, expected):
    assert issu_serial(answer) == expected


@pytest.mark.parametrize('answer, batches', [
    ('[1, "25%", "100%"]', [1, 2, 7]),
    ('1,25%,100%', [1, 2, 7]),
    ('2', [2, 2, 2, 2, 2]),
    ('50%', [5, 5]),
])
def test_text_answers_expand_as_the_same_list_does(answer, batches):
    assert serial_batches(issu_serial(answer), 10) == batches


@pytest.mark.parametrize('spec', [None, [2, '50%'], 3, '25%', (1, 2)])
def test_values_already_typed_are_returned_as_given(spec):
    expected = CANARY if spec is None else spec
    assert issu_serial(spec) == expected


@pytest.mark.parametrize('answer, message', [
    ('[1, "25%"', 'starts like a list but does not read as one'),
    ('[1, {a: b}', 'starts like a list but does not read as one'),
    ('[1, 0]', "invalid batch size 0"),
    ('1,0%,100%', "invalid batch size '0%'"),
    ('1,,100%', "invalid batch size ''"),
    ('1;25%', "invalid batch size '1;25%'"),
    ('abc', "invalid batch size 'abc'"),
    ('101%', "invalid batch size '101%'"),
    ('[]', 'invalid batch specification []'),
    ('[[1, 2]]', 'invalid batch size [1, 2]'),
    ('-1', "invalid batch size '-1'"),
    ('2.5', "invalid batch size '2.5'"),
])
def test_refuses_bad_text_with_a_clear_message(answer, message):
    with pytest.raises(AnsibleFilterError) as err:
        issu_serial(answer)
    assert message in str(err.value)
    assert '1,25%,100%' in str(err.value)       # says how to write one


@pytest.mark.parametrize('spec', [[], 0, [1, 'x'], True, [True], {'a': 1}])
def test_refuses_bad_typed_values(spec):
    with pytest.raises(AnsibleFilterError):
        issu_serial(spec)


def test_a_non_list_that_starts_like_one_is_refused():
    with pytest.raises(AnsibleFilterError) as err:
        issu_serial('[1, 2] x')
    assert 'does not read as one' in str(err.value) or 'not a list' in str(err.value)
