"""The vocabulary of the sample applications: packages, loggers, messages, frames.

Plain data only, so ``applogs`` stays about behaviour.  Messages use ``{id}``-style slots
that ``applogs`` fills from the seeded generator.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JavaService:
    """What one Spring Boot service prints: loggers and messages per level, its exceptions."""

    package: str
    classes: tuple[str, ...]
    threads: tuple[str, ...]
    messages: dict[str, tuple[tuple[str, str], ...]]  # level -> (logger, template)
    errors: tuple[tuple[str, str], ...]  # (exception class, message template)
    errors_to_stderr: bool = False


_THREADS = ("http-nio-8080-exec-{n}", "http-nio-8080-exec-{n}", "task-{n}", "scheduling-1", "main")

JAVA_SERVICES: dict[str, JavaService] = {
    "order-api": JavaService(
        package="com.example.order",
        classes=("web.OrderController", "service.OrderService", "service.StockClient", "repo.OrderRepository"),
        threads=_THREADS,
        messages={
            "I": (
                ("c.e.order.web.OrderController", "GET /api/orders/{id} 200 {ms}ms"),
                ("c.e.order.web.OrderController", "POST /api/orders 201 {ms}ms user={user}"),
                ("c.e.order.service.OrderService", "order {id} accepted: {n} items, amount={amount}"),
                ("c.e.order.service.OrderService", "order {id} state PAID -> SHIPPING"),
            ),
            "D": (
                ("c.e.order.service.StockClient", "reserve {sku} x{n} for order {id}"),
                ("c.e.order.repo.OrderRepository", "cache miss for order {id}"),
            ),
            "T": (
                ("c.e.order.web.TraceFilter", "txid={id} uri=/api/orders/{id} elapsed={ms}ms"),
                ("c.e.order.web.TraceFilter", "txid={id} begin user={user}"),
            ),
            "E": (
                ("c.e.order.service.OrderService", "failed to reserve stock for order {id}"),
                ("c.e.order.web.GlobalExceptionHandler", "unhandled exception on /api/orders/{id}"),
            ),
        },
        errors=(
            ("org.springframework.dao.DataAccessResourceFailureException", "Unable to acquire JDBC Connection"),
            ("java.lang.IllegalStateException", "order {id} is not in state PAID"),
            ("org.springframework.web.client.ResourceAccessException",
             "I/O error on POST request for \"http://stock-api:8080/reserve\": Read timed out"),
        ),
    ),
    "cart-api": JavaService(
        package="com.example.cart",
        classes=("web.CartController", "service.CartService", "redis.CartStore"),
        threads=_THREADS,
        messages={
            "I": (
                ("c.e.cart.web.CartController", "PUT /api/carts/{user}/items 200 {ms}ms"),
                ("c.e.cart.service.CartService", "cart of {user} now has {n} items"),
            ),
            "D": (("c.e.cart.redis.CartStore", "HGETALL cart:{user} -> {n} fields"),),
            "T": (("c.e.cart.web.TraceFilter", "txid={id} elapsed={ms}ms"),),
            "E": (("c.e.cart.redis.CartStore", "redis command failed for cart:{user}"),),
        },
        errors=(
            ("io.lettuce.core.RedisCommandTimeoutException", "Command timed out after 1 second(s)"),
            ("java.lang.NullPointerException", "Cannot invoke \"String.length()\" because \"sku\" is null"),
        ),
    ),
    "payment-gateway": JavaService(
        package="com.example.payment",
        classes=("api.PaymentController", "pg.GatewayClient", "pg.SignatureVerifier", "ledger.LedgerWriter"),
        threads=_THREADS,
        messages={
            "I": (
                ("c.e.payment.api.PaymentController", "approve order={id} amount={amount} KRW"),
                ("c.e.payment.ledger.LedgerWriter", "ledger entry {id} written"),
                ("c.e.payment.api.PaymentController", "결제 승인 완료 order={id}"),
            ),
            "D": (
                ("c.e.payment.pg.GatewayClient", "POST https://pg.example.net/v1/approve took {ms}ms"),
                ("c.e.payment.pg.SignatureVerifier", "signature ok for txid={id}"),
            ),
            "T": (("c.e.payment.api.TraceFilter", "txid={id} user={user} elapsed={ms}ms"),),
            "E": (
                ("c.e.payment.pg.GatewayClient", "approval failed for order {id}"),
                ("c.e.payment.ledger.LedgerWriter", "ledger write failed, will retry ({attempt}/5)"),
            ),
        },
        errors=(
            ("com.example.payment.pg.GatewayException", "PG returned 502 for txid={id}"),
            ("java.net.SocketTimeoutException", "Read timed out"),
            ("org.springframework.dao.DuplicateKeyException",
             "PreparedStatementCallback; duplicate key value violates unique constraint \"ledger_pk\""),
        ),
        errors_to_stderr=True,
    ),
}

CAUSES: tuple[tuple[str, str], ...] = (
    ("java.sql.SQLTransientConnectionException",
     "HikariPool-1 - Connection is not available, request timed out after 30000ms."),
    ("java.net.SocketTimeoutException", "Read timed out"),
    ("java.io.IOException", "Broken pipe"),
    ("org.postgresql.util.PSQLException", "ERROR: canceling statement due to lock timeout"),
)

FRAMEWORK_FRAMES: tuple[str, ...] = (
    "org.springframework.aop.framework.CglibAopProxy$DynamicAdvisedInterceptor.intercept(CglibAopProxy.java:688)",
    "org.springframework.transaction.interceptor.TransactionInterceptor.invoke(TransactionInterceptor.java:118)",
    "org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:186)",
    "org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:197)",
    "org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle(ServletInvocableHandlerMethod.java:106)",
    "org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1060)",
    "org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1006)",
    "javax.servlet.http.HttpServlet.service(HttpServlet.java:655)",
    "org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:228)",
    "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:163)",
    "org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:119)",
    "org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:202)",
    "org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:357)",
    "org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:382)",
    "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1726)",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1128)",
    "java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:628)",
    "org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)",
    "java.base/java.lang.Thread.run(Thread.java:829)",
    "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
    "org.hibernate.engine.jdbc.connections.internal.DatasourceConnectionProviderImpl.getConnection(DatasourceConnectionProviderImpl.java:122)",
    "org.hibernate.resource.jdbc.internal.LogicalConnectionManagedImpl.acquireConnectionIfNeeded(LogicalConnectionManagedImpl.java:108)",
)

KOREAN_NOTES: tuple[str, ...] = (
    "정산 배치 시작",
    "처리 완료",
    "대상 건수 조회",
    "logdata~~~~~~",
    "포인트 만료 처리 중",
    "재시도 대기",
)

ACCESS_PATHS: tuple[str, ...] = (
    "/api/orders/{id}",
    "/api/carts/{user}",
    "/static/js/app.{id}.js",
    "/healthz",
    "/api/products?page={n}&size=20",
    "/api/payments/{id}/status",
)

USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 14_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/14.0.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/90.0.4430.85 Safari/537.36",
    "kube-probe/1.19+",
    "okhttp/4.9.0",
)

DNS_NAMES: tuple[str, ...] = (
    "order-api.shop.svc.cluster.local.",
    "stock-api.shop.svc.cluster.local.",
    "redis.shop.svc.cluster.local.",
    "pg.example.net.shop.svc.cluster.local.",
    "logs.ap-northeast-2.amazonaws.com.",
)
