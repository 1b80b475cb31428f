#include "hijack.h"

#include "reply.h"
#include "server-internal.h"

#include "base/parse.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct api_hijack {
        struct api_server *srv;
        struct MHD_UpgradeResponseHandle *urh;
        int fd;
        api_hijack_fn fn;
        void *cls;
        struct api_hijack *next; /* in srv->hijacks */
};

bool req_wants_upgrade(struct request *req)
{
        return req_header(req, "Upgrade") != NULL;
}

/* KEDGE_TEST_HIJACK_DELAY_MS (tests only): the owner takes the stream that
 * much later than the 101 went out, so that the e2e suite can hold open
 * the window in which a client already acts on the 101. */
static void test_delay(void)
{
        const char *v = getenv("KEDGE_TEST_HIJACK_DELAY_MS");
        int64_t ms = 0;
        if (v && parse_int64_range(v, 1, 10000, &ms) == 0) {
                struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
                nanosleep(&t, NULL);
        }
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
                       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
        (void)conn;
        (void)con_cls;
        struct api_hijack *h = cls;
        h->urh = urh;
        h->fd = sock;
        pthread_mutex_lock(&h->srv->streams_lock);
        h->next = h->srv->hijacks;
        h->srv->hijacks = h;
        h->srv->nhijacks++;
        pthread_mutex_unlock(&h->srv->streams_lock);
        test_delay();
        h->fn(h->cls, sock, extra, extra_len, h);
}

void reply_hijack(struct request *req, const char *content_type, api_hijack_fn fn, void *cls)
{
        struct api_hijack *h = xnew0(struct api_hijack);
        h->srv = req->server;
        h->fn = fn;
        h->cls = cls;
        h->fd = -1;
        struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, h);
        MHD_add_response_header(resp, "Upgrade", "tcp");
        if (content_type)
                MHD_add_response_header(resp, "Content-Type", content_type);
        reply_response(req, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
}

void api_hijack_done(struct api_hijack *h)
{
        struct api_server *srv = h->srv;
        pthread_mutex_lock(&srv->streams_lock);
        for (struct api_hijack **p = &srv->hijacks; *p; p = &(*p)->next)
                if (*p == h) {
                        *p = h->next;
                        srv->nhijacks--;
                        break;
                }
        pthread_mutex_unlock(&srv->streams_lock);
        MHD_upgrade_action(h->urh, MHD_UPGRADE_ACTION_CLOSE);
        free(h);
}

void api_hijacks_close_all(struct api_server *srv, int timeout_ms)
{
        pthread_mutex_lock(&srv->streams_lock);
        for (struct api_hijack *h = srv->hijacks; h; h = h->next)
                shutdown(h->fd, SHUT_RDWR);
        pthread_mutex_unlock(&srv->streams_lock);
        struct timespec tick = {0, 10 * 1000 * 1000};
        for (int waited = 0; waited < timeout_ms; waited += 10) {
                pthread_mutex_lock(&srv->streams_lock);
                int n = srv->nhijacks;
                pthread_mutex_unlock(&srv->streams_lock);
                if (n == 0)
                        break;
                nanosleep(&tick, NULL);
        }
}
