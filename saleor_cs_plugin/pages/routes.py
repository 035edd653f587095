"""Which view answers a path under the plugin's URL."""

from django.http import HttpRequest, HttpResponse

from . import problem, survey, views

# Path under /plugins/channel/<slug>/<plugin id>/, without its slashes -> view.
ROUTES = {
    "report-problem": problem.problem_report,
    "stock-shortage": views.stock_shortage,
    "survey": survey.survey,
}


def respond(
    request: HttpRequest, path: str | None, *, channel, configuration
) -> HttpResponse:
    """The page at ``path`` of ``channel`` (Saleor's channel; ``configuration``: the
    plugin's settings there), or the not-found page."""
    visit = views.Visit.of(request, channel=channel, configuration=configuration)
    view = ROUTES.get((path or "").strip("/"))
    if view is None:
        return views.not_found(visit)
    return view(visit)
