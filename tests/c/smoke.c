/*
 * C smoke test of the pode_ws C ABI: compiled against include/pode_ws.h with
 * -Wall -Wextra -Werror -std=c11 and linked with libpode_ws.
 *
 * Usage: smoke ws://127.0.0.1:PORT/   (an echo server; tests/c/run.sh starts one)
 *
 * Connects, sends a text and a binary message, polls until both echoes arrived and checks
 * them, reads pode_ws_info and pode_ws_history, disconnects, removes, frees everything, and
 * exercises error paths (refused connection, bad URL, NULL pointer, unknown name) printing
 * pode_ws_last_error, and reads the connect trace of the refused connection.
 * Exits 0 on success, 1 on the first failed check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pode_ws.h"

/* A C string as the (pointer, length) pair the ABI takes. */
#define STR(s) (const uint8_t *)(s), strlen(s)

static const char *NAME = "c-smoke";

/* Returns the calling thread's last error message (malloc'ed, NUL-terminated). */
static char *last_error(void) {
    size_t needed = 0;
    /* Asking with no buffer gives the needed length and does not clear the message. */
    pode_ws_last_error(NULL, 0, &needed);
    char *message = malloc(needed + 1);
    if (message == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    size_t written = 0;
    if (pode_ws_last_error((uint8_t *)message, needed, &written) != PODE_WS_RESULT_OK) {
        written = 0;
    }
    message[written] = '\0';
    return message;
}

static void fail(const char *what) {
    char *message = last_error();
    fprintf(stderr, "FAILED: %s (last error: '%s')\n", what, message);
    free(message);
    exit(1);
}

#define CHECK(call)                                                                       \
    do {                                                                                  \
        PodeWsResult result_ = (call);                                                    \
        if (result_ != PODE_WS_RESULT_OK) {                                               \
            fprintf(stderr, "%s returned %d\n", #call, (int)result_);                     \
            fail(#call);                                                                  \
        }                                                                                 \
    } while (0)

#define EXPECT(cond)                                                                      \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fail(#cond);                                                                  \
        }                                                                                 \
    } while (0)

static int bytes_equal(const uint8_t *data, size_t len, const void *expected, size_t expected_len) {
    return len == expected_len && (len == 0 || memcmp(data, expected, len) == 0);
}

/* The current batch of a poller and how far the test has read it: an event of interest may
 * share a batch with the next one, so the rest of a batch is kept for the next wait_for. */
static const PodeWsEvent *batch = NULL;
static size_t batch_count = 0;
static size_t batch_next = 0;

/* Reads events (polling when the batch is used up) until one of `kind` for NAME arrives, at
 * most ~10 s; copies it to `out`. Its pointers stay valid until the next poll. */
static void wait_for(PodeWsPoller *poller, uint32_t kind, PodeWsEvent *out) {
    for (int round = 0; round < 100;) {
        if (batch_next == batch_count) {
            CHECK(pode_ws_poll(poller, 100, 0, &batch, &batch_count));
            batch_next = 0;
            round++;
            continue;
        }
        const PodeWsEvent *event = &batch[batch_next++];
        if (event->kind == kind &&
            bytes_equal(event->name, event->name_len, NAME, strlen(NAME))) {
            *out = *event;
            return;
        }
    }
    fprintf(stderr, "no event of kind %u\n", (unsigned)kind);
    fail("wait_for");
}

static void connection_round_trip(const char *url) {
    const char *options = "{\"connectTimeoutMs\": 5000, \"pingIntervalMs\": 0}";
    uint64_t id = 0;
    CHECK(pode_ws_connect(STR(NAME), STR(url), STR(options), &id));
    EXPECT(id != 0);

    uint32_t state = 0;
    CHECK(pode_ws_state(STR(NAME), &state));
    EXPECT(state == PODE_WS_STATE_OPEN);

    PodeWsPoller *poller = NULL;
    CHECK(pode_ws_poller_new(&poller));

    PodeWsEvent event;
    wait_for(poller, PODE_WS_EVENT_KIND_OPENED, &event);
    EXPECT(event.connection_id == id);
    EXPECT(bytes_equal(event.data, event.data_len, url, strlen(url)));

    const char *text = "hello from C, h\xC3\xA9llo";
    const uint8_t binary[] = {0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF};
    CHECK(pode_ws_send(STR(NAME), PODE_WS_SEND_TEXT, STR(text)));
    CHECK(pode_ws_send(STR(NAME), PODE_WS_SEND_BINARY, binary, sizeof binary));

    wait_for(poller, PODE_WS_EVENT_KIND_TEXT, &event);
    EXPECT(bytes_equal(event.data, event.data_len, text, strlen(text)));
    wait_for(poller, PODE_WS_EVENT_KIND_BINARY, &event);
    EXPECT(bytes_equal(event.data, event.data_len, binary, sizeof binary));
    printf("echoes received: text and %zu binary bytes\n", event.data_len);

    PodeWsBuffer *info = NULL;
    CHECK(pode_ws_info(STR(NAME), &info));
    printf("info: %.*s\n", (int)info->len, (const char *)info->data);
    /* The buffer is not NUL-terminated: copy it before searching. */
    char *json = malloc(info->len + 1);
    EXPECT(json != NULL);
    memcpy(json, info->data, info->len);
    json[info->len] = '\0';
    pode_ws_buffer_free(info);
    EXPECT(strstr(json, "\"state\":\"Open\"") != NULL);
    EXPECT(strstr(json, "\"messagesIn\":2") != NULL);
    EXPECT(strstr(json, "\"messagesOut\":2") != NULL);
    free(json);

    PodeWsBuffer *list = NULL;
    CHECK(pode_ws_list(&list));
    EXPECT(list->len > 2);
    pode_ws_buffer_free(list);

    CHECK(pode_ws_disconnect(STR(NAME), 1000, STR("bye")));
    wait_for(poller, PODE_WS_EVENT_KIND_CLOSED, &event);
    EXPECT(event.code == 1000);
    EXPECT(event.closed_by == PODE_WS_CLOSER_LOCAL);
    EXPECT(bytes_equal(event.data, event.data_len, "bye", 3));
    CHECK(pode_ws_state(STR(NAME), &state));
    EXPECT(state == PODE_WS_STATE_CLOSED);

    PodeWsBuffer *history = NULL;
    CHECK(pode_ws_history(STR(NAME), &history));
    printf("history: %.*s\n", (int)history->len, (const char *)history->data);
    EXPECT(history->len > 2 && history->data[0] == '[');
    pode_ws_buffer_free(history);
    /* No reconnect attempt is waiting for a target. */
    EXPECT(pode_ws_reconnect_target(STR(NAME), 1, NULL, 0, NULL, 0) ==
           PODE_WS_RESULT_INVALID_ARGUMENT);
    EXPECT(pode_ws_reconnect_fail(STR(NAME), 1, NULL, 0) == PODE_WS_RESULT_INVALID_ARGUMENT);

    CHECK(pode_ws_remove(STR(NAME)));
    EXPECT(pode_ws_remove(STR(NAME)) == PODE_WS_RESULT_UNKNOWN_NAME);

    pode_ws_poller_close(poller);
    const PodeWsEvent *events = NULL;
    size_t count = 0;
    EXPECT(pode_ws_poll(poller, 0, 0, &events, &count) == PODE_WS_RESULT_CLOSED);
    pode_ws_poller_free(poller);
    batch = NULL; /* freed with the poller */
    batch_count = batch_next = 0;
}

static uint8_t *c_allocate(size_t len, size_t *owner) {
    *owner = 1;
    return malloc(len);
}

static void error_paths(void) {
    /* Port 1 on loopback: nothing listens, the connection is refused. Traced. */
    PodeWsResult result = pode_ws_connect(STR("c-bad"), STR("ws://127.0.0.1:1/"),
                                          STR("{\"traceId\": \"c-refused\"}"), NULL);
    char *message = last_error();
    printf("refused connect: result %d, last error '%s'\n", (int)result, message);
    EXPECT(result == PODE_WS_RESULT_CONNECTION_REFUSED);
    EXPECT(strstr(message, "refused") != NULL);
    free(message);

    /* The trace of the failed connect is still readable. */
    PodeWsBuffer *trace = NULL;
    CHECK(pode_ws_trace_read(STR("c-refused"), 0, &trace));
    char *json = malloc(trace->len + 1);
    EXPECT(json != NULL);
    memcpy(json, trace->data, trace->len);
    json[trace->len] = '\0';
    pode_ws_buffer_free(trace);
    printf("trace: %s\n", json);
    EXPECT(strstr(json, "\"step\":\"tcp\"") != NULL);
    EXPECT(strstr(json, "\"step\":\"failed\"") != NULL);
    free(json);

    uint32_t state = 0;
    EXPECT(pode_ws_state(STR("c-bad"), &state) == PODE_WS_RESULT_UNKNOWN_NAME);

    result = pode_ws_connect(STR("c-bad"), STR("http://example.org/"), NULL, 0, NULL);
    message = last_error();
    printf("bad URL: result %d, last error '%s'\n", (int)result, message);
    EXPECT(result == PODE_WS_RESULT_INVALID_URL);
    free(message);

    EXPECT(pode_ws_connect(NULL, 0, STR("ws://x/"), NULL, 0, NULL) == PODE_WS_RESULT_NULL_POINTER);
    EXPECT(pode_ws_send(STR("nobody"), PODE_WS_SEND_TEXT, STR("x")) == PODE_WS_RESULT_UNKNOWN_NAME);
    EXPECT(pode_ws_connect(STR("c-bad"), STR("ws://x/"), STR("{\"nope\": 1}"), NULL) ==
           PODE_WS_RESULT_INVALID_OPTIONS);

    /* An allocator needs its free callback; removing one (NULL) always works. */
    EXPECT(pode_ws_set_payload_allocator(c_allocate, NULL, 0) == PODE_WS_RESULT_NULL_POINTER);
    EXPECT(pode_ws_set_payload_allocator(NULL, NULL, 0) == PODE_WS_RESULT_OK);

    /* The free functions accept NULL. */
    pode_ws_buffer_free(NULL);
    pode_ws_poller_free(NULL);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s ws://127.0.0.1:PORT/\n", argv[0]);
        return 2;
    }
    char version[32];
    size_t version_len = 0;
    CHECK(pode_ws_version((uint8_t *)version, sizeof version - 1, &version_len));
    version[version_len] = '\0';
    printf("pode_ws %s\n", version);

    connection_round_trip(argv[1]);
    error_paths();
    CHECK(pode_ws_shutdown());
    printf("C smoke test passed\n");
    return 0;
}
