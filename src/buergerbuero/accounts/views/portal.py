from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def my_office(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/base.html")
