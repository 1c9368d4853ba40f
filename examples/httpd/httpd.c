/* A small HTTP/1.1 server for osv-ts: accepts on the listening socket the host hands over as
 * fd 3 (`osv run --tcplisten 0.0.0.0:80 httpd.wasm`, as wasmtime's --tcplisten), serves
 * GET / with a greeting and GET /<path> from the guest's file system, keeps connections alive,
 * and answers one request per read (requests are small). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LISTEN_FD 3

static int send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, 0);
        if (n < 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int respond(int fd, int status, const char *reason, const char *type, const char *body, size_t len, int keep) {
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n",
                     status, reason, type, len, keep ? "keep-alive" : "close");
    if (send_all(fd, head, (size_t)n) < 0) return -1;
    return send_all(fd, body, len);
}

static void serve(int fd) {
    char req[4096];
    size_t have = 0;
    for (;;) {
        ssize_t n = recv(fd, req + have, sizeof req - 1 - have, 0);
        if (n <= 0) return;
        have += (size_t)n;
        req[have] = 0;
        char *end = strstr(req, "\r\n\r\n");
        if (!end) {
            if (have == sizeof req - 1) return;
            continue;
        }
        char method[8] = {0}, path[1024] = {0};
        sscanf(req, "%7s %1023s", method, path);
        int keep = strstr(req, "Connection: close") == NULL;
        int rc;
        if (strcmp(method, "GET") != 0) {
            rc = respond(fd, 405, "Method Not Allowed", "text/plain", "method not allowed\n", 19, keep);
        } else if (strcmp(path, "/") == 0) {
            const char *body = "Hello from osv-ts httpd!\n";
            rc = respond(fd, 200, "OK", "text/plain", body, strlen(body), keep);
        } else {
            int f = open(path, O_RDONLY);
            struct stat st;
            if (f < 0 || fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
                if (f >= 0) close(f);
                rc = respond(fd, 404, "Not Found", "text/plain", "not found\n", 10, keep);
            } else {
                char *body = malloc((size_t)st.st_size + 1);
                ssize_t got = read(f, body, (size_t)st.st_size);
                close(f);
                rc = respond(fd, 200, "OK", "application/octet-stream", body, got > 0 ? (size_t)got : 0, keep);
                free(body);
            }
        }
        size_t used = (size_t)(end + 4 - req);
        memmove(req, req + used, have - used);
        have -= used;
        if (rc < 0 || !keep) return;
    }
}

int main(int argc, char **argv) {
    long max = argc > 1 ? atol(argv[1]) : -1; /* connections to serve, -1 = forever */
    fprintf(stderr, "httpd: serving on fd %d\n", LISTEN_FD);
    for (long served = 0; max < 0 || served < max; served++) {
        int c = accept(LISTEN_FD, NULL, NULL);
        if (c < 0) {
            perror("accept");
            return 1;
        }
        serve(c);
        close(c);
    }
    return 0;
}
