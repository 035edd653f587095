"""DataLoaders of the plugin's GraphQL fields: one query per request, whatever the
number of orders asked for."""

from collections import defaultdict

from saleor.graphql.core.dataloaders import DataLoader

from ..domain.promises import DELAY_NOTICE_TYPES
from ..models import DeliveryPromise, DeliveryPromiseLine, Notice


class DeliveryPromiseByOrderIdLoader(DataLoader):
    context_key = "saleor_cs_delivery_promise_by_order_id"

    def batch_load(self, keys):
        promises = DeliveryPromise.objects.using(self.database_connection_name).filter(
            order_id__in=keys
        )
        by_order = {promise.order_id: promise for promise in promises}
        return [by_order.get(order_id) for order_id in keys]


class DeliveryPromiseLinesByPromiseIdLoader(DataLoader):
    context_key = "saleor_cs_delivery_promise_lines_by_promise_id"

    def batch_load(self, keys):
        lines = defaultdict(list)
        for line in DeliveryPromiseLine.objects.using(
            self.database_connection_name
        ).filter(promise_id__in=keys):
            lines[line.promise_id].append(line)
        return [lines[promise_id] for promise_id in keys]


class DelayNoticesByOrderIdLoader(DataLoader):
    """The delay notices of each order (every stage, whatever became of them),
    oldest first."""

    context_key = "saleor_cs_delay_notices_by_order_id"

    def batch_load(self, keys):
        notices = defaultdict(list)
        for notice in (
            Notice.objects.using(self.database_connection_name)
            .filter(order_id__in=keys, notice_type__in=DELAY_NOTICE_TYPES)
            .order_by("created_at", "id")
        ):
            notices[notice.order_id].append(notice)
        return [notices[order_id] for order_id in keys]
