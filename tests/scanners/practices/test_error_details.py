"""error-details-exposed: handlers that answer an unexpected error with its details."""

from __future__ import annotations

import pytest

from secure_gate.scanners.practices import errors_rule
from tests.scanners.practices.helpers import lines, python_hits

FLASK = "@app.route('/x')\ndef view():\n    try:\n        work()\n"
DJANGO = "def view(request):\n    try:\n        work()\n"

POSITIVE = [
    ("flask tuple with str(e)",
     FLASK + "    except Exception as e:\n        return {'error': str(e)}, 500\n", [6]),
    ("django JsonResponse",
     DJANGO + "    except Exception as exc:\n"
              "        return JsonResponse({'error': str(exc)}, status=500)\n", [5]),
    ("f-string of the exception",
     DJANGO + "    except Exception as e:\n        return HttpResponse(f'failed: {e}')\n", [5]),
    ("repr", FLASK + "    except BaseException as e:\n        return jsonify(detail=repr(e))\n",
     [6]),
    ("e.args", FLASK + "    except Exception as e:\n        return {'args': e.args}\n", [6]),
    ("% formatting", FLASK + "    except Exception as e:\n        return 'failed: %s' % e\n",
     [6]),
    ("str.format", FLASK + "    except Exception as e:\n        return 'x {}'.format(e)\n", [6]),
    ("traceback, even for a specific exception",
     DJANGO + "    except KeyError:\n"
              "        return HttpResponse(traceback.format_exc(), status=500)\n", [5]),
    ("through a variable",
     DJANGO + "    except Exception as e:\n        message = 'failed: ' + str(e)\n"
              "        return JsonResponse({'error': message})\n", [6]),
    ("tuple of types with Exception",
     FLASK + "    except (ValueError, Exception) as e:\n        return str(e), 500\n", [6]),
    ("fastapi HTTPException",
     "@router.get('/items')\nasync def items():\n    try:\n        await load()\n"
     "    except Exception as e:\n"
     "        raise HTTPException(status_code=500, detail=str(e))\n", [6]),
    ("flask abort", FLASK + "    except Exception as e:\n        abort(500, str(e))\n", [6]),
    ("DRF Response in a method",
     "class V(APIView):\n    def get(self, request):\n        try:\n            work()\n"
     "        except Exception as e:\n"
     "            return Response({'detail': str(e)}, status=500)\n", [6]),
    ("make_response", FLASK + "    except Exception as err:\n"
                              "        return make_response(jsonify(error=f'{err!r}'), 500)\n",
     [6]),
    ("nested in an if inside the except",
     FLASK + "    except Exception as e:\n        if debug:\n            return str(e)\n"
             "        return 'error'\n", [7]),
]

NEGATIVE = [
    ("generic message", FLASK + "    except Exception as e:\n"
                                "        logger.exception('failed')\n"
                                "        return {'error': 'internal error'}, 500\n"),
    ("a specific exception's message (validation)",
     DJANGO + "    except ValidationError as e:\n"
              "        return JsonResponse({'errors': str(e)}, status=400)\n"),
    ("ValueError written for the user", FLASK + "    except ValueError as e:\n"
                                                "        return {'error': str(e)}, 400\n"),
    ("not a handler", "def load():\n    try:\n        work()\n    except Exception as e:\n"
                      "        return str(e)\n"),
    ("details only logged", DJANGO + "    except Exception as e:\n"
                                     "        logger.error('failed: %s', e)\n"
                                     "        return HttpResponse(status=500)\n"),
    ("the class name only", FLASK + "    except Exception as e:\n"
                                    "        return {'error': type(e).__name__}\n"),
    ("sanitised", FLASK + "    except Exception as e:\n"
                          "        return {'error': public_message(e)}\n"),
    ("variable rebound before return", DJANGO + "    except Exception as e:\n"
                                                "        msg = str(e)\n"
                                                "        msg = 'internal error'\n"
                                                "        return JsonResponse({'error': msg})\n"),
    ("outside the except", FLASK + "    except Exception as e:\n        pass\n"
                                   "    return {'error': str(e)}\n"),
    ("a nested function's return", FLASK + "    except Exception as e:\n"
                                           "        def later():\n"
                                           "            return str(e)\n"
                                           "        return 'error'\n"),
    ("nosec", FLASK + "    except Exception as e:\n        return str(e), 500  # nosec\n"),
]


@pytest.mark.parametrize(("case", "source", "expected"), POSITIVE, ids=[c[0] for c in POSITIVE])
def test_reported(case: str, source: str, expected: list[int]) -> None:
    hits = python_hits(errors_rule.check, source)
    assert lines(hits) == expected
    assert {h.rule for h in hits} == {"error-details-exposed"}


@pytest.mark.parametrize(("case", "source"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_not_reported(case: str, source: str) -> None:
    assert python_hits(errors_rule.check, source) == []


def test_the_hit_is_on_the_expression_that_carries_the_details() -> None:
    source = DJANGO + "    except Exception as exc:\n" \
                      "        return JsonResponse({'error': str(exc)}, status=500)\n"
    (hit,) = python_hits(errors_rule.check, source)
    assert (hit.line, hit.column, hit.end_column) == (5, 39, 46)  # `str(exc)`
    assert "str(exc)" in hit.message
