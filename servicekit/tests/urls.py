from django.db import connection
from django.http import JsonResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from servicekit.auth import roles_allowed
from servicekit.errors import Conflict
from servicekit.fields import CurrencyField, MoneyField
from servicekit.provider_states import ProviderStates, StateError, require
from servicekit.urls import common_urlpatterns


class PriceIn(serializers.Serializer):
    amount = MoneyField(min_value=0, exclusive_min=True)
    currency = CurrencyField()


class PriceApi(APIView):
    def post(self, request):
        data = PriceIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PriceIn(data.validated_data).data)


class AdminApi(APIView):
    permission_classes = [roles_allowed("admin")]

    def get(self, request):
        return Response({"role": request.user.role})


class ConflictApi(APIView):
    def post(self, request):
        raise Conflict("Already there.", hint="try another")


class ThingApi(APIView):
    def get(self, request, thing_id: int):
        return Response({"id": thing_id})


class BrokenApi(APIView):
    def get(self, request):
        raise RuntimeError("a bug, with a secret inside")


# Real SQLite errors, raised through Django's cursor (so wrapped as Django wraps them).
DB_FAULTS = {
    # the database file cannot be opened: SQLITE_CANTOPEN, the database is unavailable
    "unavailable": "ATTACH DATABASE '/nonexistent-dir/gone.sqlite3' AS gone",
    # a bug of ours: SQLITE_ERROR, an OperationalError too
    "no_such_table": "SELECT * FROM no_such_table",
}


def _fault(kind: str) -> None:
    with connection.cursor() as cursor:
        if kind == "integrity":
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS once (n INTEGER UNIQUE)")
            cursor.execute("INSERT INTO once VALUES (1)")
            cursor.execute("INSERT INTO once VALUES (1)")
        cursor.execute(DB_FAULTS[kind])


class DatabaseFaultApi(APIView):
    def get(self, request, kind: str):
        _fault(kind)
        return Response({})


def plain_database_fault(request, kind: str):
    _fault(kind)
    return JsonResponse({})


states = ProviderStates()
made: list[str] = []


@states.setup("a thing exists")
def _thing(params):
    made.append(require(params, "name"))
    return {"name": params["name"]}


@states.setup("a broken state")
def _broken(params):
    raise ZeroDivisionError("oops")


@states.setup("a picky state")
def _picky(params):
    raise StateError("size must be positive")


@states.teardown_all
def _clear():
    made.clear()


urlpatterns = [
    path("price", PriceApi.as_view()),
    path("admin-only", AdminApi.as_view()),
    path("conflict", ConflictApi.as_view()),
    path("broken", BrokenApi.as_view()),
    path("things/<int:thing_id>/", ThingApi.as_view()),
    path("db-fault/<str:kind>", DatabaseFaultApi.as_view()),
    path("plain-db-fault/<str:kind>", plain_database_fault),
    *common_urlpatterns(provider_states=states),
]

handler404 = "servicekit.views.page_not_found"
handler500 = "servicekit.views.server_error"
