/* A small HTTP/1.1 server for osv-ts: accepts on the listening socket the host hands over as
 * fd 3 (`osv run --tcplisten 0.0.0.0:80 httpd.wasm`, as wasmtime's --tcplisten), serves
 * GET / with a greeting and GET /<path> from the guest's file system, takes POST/PUT bodies
 * (Content-Length) and discards them, answering with their size (an upload sink for
 * benchmarks), keeps connections alive and pipelines requests. One thread, many connections: poll() (WASI poll_oneoff) over the
 * listener and every client, non-blocking sockets, and each response (head and body) queued as
 * one buffer so a kept-alive connection never waits for Nagle and a delayed ACK.
 *
 *   httpd.wasm [N]   serve N connections, then exit once they are done (default: forever)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LISTEN_FD 3
#define MAX_CLIENTS 256
#define REQUEST_MAX 8192

struct client {
    int fd;
    char req[REQUEST_MAX];
    size_t have;
    char *out; /* queued response bytes */
    size_t out_len, out_sent;
    int closing; /* close after the queued bytes are sent */
    long long body_left; /* bytes of a POST/PUT body still to be read and discarded */
    long long body_len;
    int body_keep;
};

static struct client clients[MAX_CLIENTS];
static int nclients;

static void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void queue(struct client *c, const char *data, size_t len) {
    c->out = realloc(c->out, c->out_len + len);
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
}

static void respond(struct client *c, int status, const char *reason, const char *type, const char *body, size_t len, int keep) {
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n",
                     status, reason, type, len, keep ? "keep-alive" : "close");
    queue(c, head, (size_t)n);
    queue(c, body, len);
    if (!keep) c->closing = 1;
}

/* Discards up to `n` buffered body bytes; answers the request once its body is all in. */
static void take_body(struct client *c, size_t n) {
    c->body_left -= (long long)n;
    if (c->body_left == 0) {
        char body[64];
        int len = snprintf(body, sizeof body, "received %lld bytes\n", c->body_len);
        respond(c, 200, "OK", "text/plain", body, (size_t)len, c->body_keep);
    }
}

static void handle(struct client *c, const char *req) {
    char method[8] = {0}, path[1024] = {0};
    sscanf(req, "%7s %1023s", method, path);
    int keep = strstr(req, "Connection: close") == NULL && strstr(req, "connection: close") == NULL;
    if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        const char *cl = strstr(req, "Content-Length:");
        if (!cl) cl = strstr(req, "content-length:");
        long long len = cl ? atoll(cl + 15) : -1;
        if (len < 0) {
            respond(c, 411, "Length Required", "text/plain", "length required\n", 16, 0);
            return;
        }
        /* RFC 9110 §10.1.1: a client that asked waits for this before sending the body (curl
         * does for bodies over 1 MiB, up to a second). */
        if (strstr(req, "Expect: 100-continue") || strstr(req, "expect: 100-continue"))
            queue(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
        c->body_left = c->body_len = len;
        c->body_keep = keep;
        if (len == 0) take_body(c, 0);
        return; /* answered once the body is in (take_body) */
    }
    if (strcmp(method, "GET") != 0) {
        respond(c, 405, "Method Not Allowed", "text/plain", "method not allowed\n", 19, keep);
        return;
    }
    if (strcmp(path, "/") == 0) {
        const char *body = "Hello from osv-ts httpd!\n";
        respond(c, 200, "OK", "text/plain", body, strlen(body), keep);
        return;
    }
    int f = open(path, O_RDONLY);
    struct stat st;
    if (f < 0 || fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (f >= 0) close(f);
        respond(c, 404, "Not Found", "text/plain", "not found\n", 10, keep);
        return;
    }
    char *body = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(f, body + got, (size_t)st.st_size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(f);
    respond(c, 200, "OK", "application/octet-stream", body, got, keep);
    free(body);
}

/* Parses every complete request in the buffer (pipelining); returns -1 on an oversized one. */
static int parse(struct client *c) {
    for (;;) {
        if (c->body_left > 0) {
            size_t n = c->have < (unsigned long long)c->body_left ? c->have : (size_t)c->body_left;
            memmove(c->req, c->req + n, c->have - n);
            c->have -= n;
            take_body(c, n);
            if (c->body_left > 0 || c->closing) return 0;
        }
        c->req[c->have] = 0;
        char *end = strstr(c->req, "\r\n\r\n");
        if (!end) return c->have >= REQUEST_MAX - 1 ? -1 : 0;
        handle(c, c->req);
        size_t used = (size_t)(end + 4 - c->req);
        memmove(c->req, c->req + used, c->have - used);
        c->have -= used;
        if (c->closing) return 0;
    }
}

static void drop(int i) {
    close(clients[i].fd);
    free(clients[i].out);
    clients[i] = clients[--nclients];
}

int main(int argc, char **argv) {
    long max = argc > 1 ? atol(argv[1]) : -1;
    long accepted = 0;
    fprintf(stderr, "httpd: serving on fd %d\n", LISTEN_FD);
    set_nonblocking(LISTEN_FD);
    static struct pollfd fds[MAX_CLIENTS + 1];
    while (max < 0 || accepted < max || nclients > 0) {
        int nfds = 0;
        int listening = (max < 0 || accepted < max) && nclients < MAX_CLIENTS;
        if (listening) fds[nfds++] = (struct pollfd){.fd = LISTEN_FD, .events = POLLIN};
        for (int i = 0; i < nclients; i++) {
            struct client *c = &clients[i];
            fds[nfds++] = (struct pollfd){.fd = c->fd, .events = c->out_sent < c->out_len ? POLLOUT : POLLIN};
        }
        if (poll(fds, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }
        /* Clients first (indices shift when one is dropped, so walk them by fd). */
        for (int k = listening ? 1 : 0; k < nfds; k++) {
            if (!fds[k].revents) continue;
            int i = 0;
            while (i < nclients && clients[i].fd != fds[k].fd) i++;
            if (i == nclients) continue;
            struct client *c = &clients[i];
            if (c->out_sent < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, 0);
                if (n < 0 && errno != EAGAIN) {
                    drop(i);
                    continue;
                }
                if (n > 0) c->out_sent += (size_t)n;
                if (c->out_sent == c->out_len) {
                    c->out_len = c->out_sent = 0;
                    if (c->closing) {
                        drop(i);
                        continue;
                    }
                    if (parse(c) < 0) drop(i); /* pipelined requests already buffered */
                }
                continue;
            }
            if (c->body_left > 0 && c->have == 0) {
                /* The body goes straight into a scratch buffer, a large read at a time. */
                static char sink[1 << 16];
                size_t want = c->body_left < (long long)sizeof sink ? (size_t)c->body_left : sizeof sink;
                ssize_t n = recv(c->fd, sink, want, 0);
                if (n == 0 || (n < 0 && errno != EAGAIN)) {
                    drop(i);
                    continue;
                }
                if (n > 0) {
                    take_body(c, (size_t)n);
                    if (c->body_left == 0 && parse(c) < 0) drop(i);
                }
                continue;
            }
            ssize_t n = recv(c->fd, c->req + c->have, REQUEST_MAX - 1 - c->have, 0);
            if (n == 0 || (n < 0 && errno != EAGAIN)) {
                drop(i);
                continue;
            }
            if (n > 0) {
                c->have += (size_t)n;
                if (parse(c) < 0) drop(i);
            }
        }
        if (listening && fds[0].revents) {
            for (;;) {
                if (!(max < 0 || accepted < max) || nclients >= MAX_CLIENTS) break;
                int fd = accept(LISTEN_FD, NULL, NULL);
                if (fd < 0) {
                    if (errno != EAGAIN) perror("accept");
                    break;
                }
                set_nonblocking(fd);
                clients[nclients++] = (struct client){.fd = fd};
                accepted++;
            }
        }
    }
    return 0;
}
