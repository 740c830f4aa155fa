"""Views of the sample shop."""
import logging

from django.http import JsonResponse

from shop.models import Order

logger = logging.getLogger(__name__)


def order_status(request, order_id):
    """A view that answers an unexpected error with the error's text."""
    try:
        order = Order.objects.get(pk=order_id)
    except Order.DoesNotExist as missing:
        return JsonResponse({"error": str(missing)}, status=404)
    try:
        return JsonResponse({"status": order.status_for(request.user)})
    except Exception as exc:
        return JsonResponse({"error": str(exc)}, status=500)


def cancel(request, order_id):
    """The practice: log the details, answer with a generic message."""
    try:
        Order.objects.get(pk=order_id).cancel()
    except Exception:
        logger.exception("cancel failed for order %s", order_id)
        return JsonResponse({"error": "internal error"}, status=500)
    return JsonResponse({"status": "cancelled"})
