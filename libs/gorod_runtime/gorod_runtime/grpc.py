"""gRPC entrypoint on nameko-grpc, without its 10 ms per-call delay, plus grpc.health.v1.

nameko-grpc 1.3.0 runs each HTTP/2 connection in a loop that waits on the socket with a
10 ms select timeout, so a reply queued by a worker waits for that timeout before it is
sent. Here every connection also watches a wake-up socket, and queuing a reply (or a
client request) writes one byte to it, so the loop sends at once. Sockets get TCP_NODELAY.
The per-request deadline watcher polls every 1 ms in nameko-grpc; here it is one timer.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import select
import socket
import struct
import sys
import weakref
from queue import Empty, Queue

import eventlet
from google.protobuf import any_pb2
from google.rpc import status_pb2
from grpc import StatusCode
from grpc_health.v1 import health_pb2_grpc
from nameko.extensions import DependencyProvider
from nameko_grpc import channel as grpc_channel
from nameko_grpc import connection as grpc_connection
from nameko_grpc import entrypoint as grpc_entrypoint
from nameko_grpc import streams as grpc_streams
from nameko_grpc.compression import SUPPORTED_ENCODINGS
from nameko_grpc.errors import GrpcError
from nameko_grpc.timeout import unbucket_timeout

from gorod.common.v1 import common_pb2
from gorod_runtime import logs
from gorod_runtime.errors import DomainError


class _Waker:
    """A socket pair: writing a byte wakes a select() that includes `reader`."""

    def __init__(self):
        self.reader, self._writer = socket.socketpair()
        self.reader.setblocking(False)
        self._writer.setblocking(False)
        self._pending = False

    def wake(self):
        if not self._pending:
            self._pending = True
            with contextlib.suppress(OSError):  # a full pipe already wakes the loop
                self._writer.send(b"\0")

    def drain(self):
        self._pending = False
        try:
            while self.reader.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self):
        self.reader.close()
        self._writer.close()


class _WakingQueue(Queue):
    def __init__(self, waker: _Waker):
        super().__init__()
        self._waker = waker

    def put(self, item, block=True, timeout=None):
        super().put(item, block, timeout)
        self._waker.wake()


class _SendStream(grpc_streams.SendStream):
    """nameko-grpc yields to the hub after every queued message, a full hub cycle per reply;
    here it yields once per 64 messages, enough to keep long streams from starving others."""

    def flush_queue_to_buffer(self):
        for count in itertools.count(1):
            try:
                message = self.queue.get_nowait()
            except Empty:
                return
            if isinstance(message, GrpcError):
                raise message
            if message and message is not grpc_streams.STREAM_END:
                compressed, body = grpc_streams.compress(self.serialize_message(message), self.encoding)
                self.buffer.write(struct.pack("?", compressed) + struct.pack(">I", len(body)) + body)
            if count % 64 == 0:
                eventlet.sleep(0)


class _WakeOnQueueMixin:
    """Connection loop that sleeps on its socket *and* its waker, never on a timer.
    (Only the server side is replaced: nameko-grpc's client builds its own connections.)"""

    def _init_waker(self, sock):
        self.waker = _Waker()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _make_waking(self, stream):  # a stream whose queued messages wake the loop
        if type(stream) is grpc_streams.SendStream:
            stream.__class__ = _SendStream
        old = stream.queue
        stream.queue = _WakingQueue(self.waker)
        while not old.empty():
            stream.queue.put(old.get_nowait())

    def run_forever(self):
        self.conn.initiate_connection()
        with self.cleanup_on_exit():
            try:
                while self.run:
                    self.on_iteration()
                    if not self.run:
                        break
                    self.sock.sendall(self.conn.data_to_send())
                    # A terminating connection keeps polling so it can notice drained streams.
                    timeout = grpc_connection.SELECT_TIMEOUT if self.terminating else None
                    readable, _, _ = select.select([self.sock, self.waker.reader], [], [], timeout)
                    if self.waker.reader in readable:
                        self.waker.drain()
                    if self.sock not in readable:
                        continue
                    data = self.sock.recv(65535)
                    if not data:
                        break
                    for event in self.conn.receive_data(data):
                        self._dispatch(event)
            finally:
                self.waker.close()

    def _dispatch(self, event):
        handler = _EVENT_HANDLERS.get(type(event))
        if handler:
            getattr(self, handler)(event)

    def stop(self):
        super().stop()
        self.waker.wake()


_EVENT_HANDLERS = {
    grpc_connection.RequestReceived: "request_received",
    grpc_connection.ResponseReceived: "response_received",
    grpc_connection.DataReceived: "data_received",
    grpc_connection.StreamEnded: "stream_ended",
    grpc_connection.StreamReset: "stream_reset",
    grpc_connection.WindowUpdated: "window_updated",
    grpc_connection.RemoteSettingsChanged: "settings_changed",
    grpc_connection.SettingsAcknowledged: "settings_acknowledged",
    grpc_connection.TrailersReceived: "trailers_received",
    grpc_connection.ConnectionTerminated: "connection_terminated",
}


class ServerConnection(_WakeOnQueueMixin, grpc_connection.ServerConnectionManager):
    def __init__(self, sock, handle_request, worker_pool):
        super().__init__(sock, handle_request)
        self._init_waker(sock)
        self._worker_pool = worker_pool

    def _worker_pool_full(self) -> bool:
        return self._worker_pool is not None and self._worker_pool.free() == 0

    def request_received(self, event):
        super().request_received(event)
        stream = self.send_streams.get(event.stream_id)
        if stream is not None:
            # The worker was spawned, not run: its reply will wake the loop when queued.
            self._make_waking(stream)

    def stream_ended(self, event):
        request_stream = self.receive_streams.get(event.stream_id)
        super().stream_ended(event)
        start = getattr(request_stream, "start_when_complete", None)
        if start is not None:
            request_stream.start_when_complete = None
            try:
                if self._worker_pool_full():
                    # Spawning would block this loop, and with it the replies of the
                    # connection's other calls: wait for a worker in a green thread instead.
                    eventlet.spawn_n(_start_later, start, request_stream, self.send_streams.get(event.stream_id))
                    return
                start()
            except GrpcError as error:  # e.g. UNAVAILABLE while the container stops
                response_stream = self.send_streams.get(event.stream_id)
                if response_stream is not None:
                    response_stream.close(error)


def _start_later(start, request_stream, response_stream):
    try:
        start()
    except GrpcError as error:
        if response_stream is not None:
            response_stream.close(error)


class _ServerConnectionPool(grpc_channel.ServerConnectionPool):
    def run(self):
        while self.is_accepting:
            sock, _ = self.listening_socket.accept()
            sock.settimeout(60)
            connection = ServerConnection(sock, self.handle_request, self.worker_pool)
            self.connections.put(weakref.ref(connection))
            self.spawn_thread(target=connection.run_forever, name="grpc server connection")


class _ServerChannel(grpc_channel.ServerChannel):
    def __init__(self, host, port, ssl, spawn_thread, handle_request, worker_pool):
        self.conn_pool = _ServerConnectionPool(host, port, ssl, spawn_thread, handle_request)
        self.conn_pool.worker_pool = worker_pool


class GrpcServer(grpc_entrypoint.GrpcServer):
    def setup(self):
        settings = self.container.config["GOROD"]
        self.channel = _ServerChannel(
            settings.grpc_host, settings.grpc_port, None, self._spawn_thread, self.handle_request,
            getattr(self.container, "_worker_pool", None),  # nameko's pool of max_workers
        )

    def _spawn_thread(self, target, args=(), kwargs=None, name=None):
        self.container.spawn_managed_thread(lambda: target(*args, **(kwargs or {})), identifier=name)

    def handle_request(self, request_stream, response_stream):
        path = request_stream.headers.get(":path")
        entrypoint = self.entrypoints.get(path)
        if entrypoint is None:
            raise GrpcError(code=StatusCode.UNIMPLEMENTED, message=f"method not found: {path}")
        encoding = request_stream.headers.get("grpc-encoding", "identity")
        if encoding not in SUPPORTED_ENCODINGS:
            raise GrpcError(code=StatusCode.UNIMPLEMENTED, message=f"compression not supported: {encoding}")
        timeout = request_stream.headers.get("grpc-timeout")
        if timeout:
            eventlet.spawn_after(unbucket_timeout(timeout), _expire, request_stream, response_stream)
        start = functools.partial(entrypoint.handle_request, request_stream, response_stream)
        if entrypoint.cardinality in (grpc_entrypoint.Cardinality.UNARY_UNARY, grpc_entrypoint.Cardinality.UNARY_STREAM):
            # One request message: start the worker from the connection loop once it has
            # arrived (ServerConnection.stream_ended), not from a green thread waiting for it.
            request_stream.start_when_complete = start
        else:
            self.container.spawn_managed_thread(start, identifier="grpc request")


def _expire(request_stream, response_stream):
    if request_stream.closed and response_stream.closed:
        return
    request_stream.close()
    response_stream.close(GrpcError(code=StatusCode.DEADLINE_EXCEEDED, message="Deadline Exceeded"))


def error_for(exc: BaseException) -> GrpcError:
    """Map a raised exception to the gRPC error a client sees."""
    if isinstance(exc, GrpcError):
        return exc
    if isinstance(exc, DomainError):
        code = getattr(StatusCode, exc.grpc_status)
        detail = any_pb2.Any()
        detail.Pack(common_pb2.ErrorDetail(code=exc.code, field=exc.field, message=exc.message))
        status = status_pb2.Status(code=code.value[0], message=exc.message, details=[detail])
        return GrpcError(code=code, message=exc.message, status=status)
    # Internal details stay in the logs; the client gets a plain INTERNAL.
    return GrpcError(code=StatusCode.INTERNAL, message="internal error",
                     status=status_pb2.Status(code=StatusCode.INTERNAL.value[0], message="internal error"))


class Grpc(grpc_entrypoint.Grpc):
    """The kit's gRPC entrypoint: `grpc = Grpc.implementing(SomeServiceStub)`."""

    grpc_server = GrpcServer()

    def __init__(self, stub, **kwargs):
        # A refused request is an answer, not a fault: nameko logs it as a warning.
        kwargs.setdefault("expected_exceptions", (DomainError,))
        super().__init__(stub, **kwargs)

    def handle_result(self, response_stream, worker_ctx, result, exc_info):
        if exc_info is not None:
            response_stream.close(error_for(exc_info[1]))
            return result, exc_info
        if self.cardinality in (grpc_entrypoint.Cardinality.STREAM_UNARY, grpc_entrypoint.Cardinality.UNARY_UNARY):
            result = (result,)
        try:
            response_stream.populate(result)
        except Exception:
            response_stream.close(error_for(sys.exc_info()[1]))
        return result, exc_info


health = Grpc.implementing(health_pb2_grpc.HealthStub)


class Correlation(DependencyProvider):
    """Puts the caller's correlation id (gRPC metadata or event envelope) into the logs."""

    def worker_setup(self, worker_ctx):
        logs.set_correlation_id(worker_ctx.data.get(logs.CORRELATION_METADATA_KEY) or worker_ctx.data.get("correlation_id"))
