/*
 * A stand-in for hailong-agent in test-systemd.sh: it speaks the notify protocol the way the
 * agent does (READY=1 and STATUS= once started, WATCHDOG=1 every WATCHDOG_USEC/3, STOPPING=1
 * on SIGTERM), stops pinging while /var/lib/hailong/stall exists (a stalled pipeline; it
 * deletes the file so that the restarted process is healthy), and writes what its sandbox
 * allows to /var/lib/hailong/sandbox-report, one "name=value" a line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_term(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

static int notify(const char *message) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0') return -1;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(path);
    if (length >= sizeof(address.sun_path)) return -1;
    memcpy(address.sun_path, path, length);
    if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    ssize_t sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&address,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length));
    close(fd);
    return sent < 0 ? -1 : 0;
}

/* "ok" when creating a file at path works, else the error's name. */
static const char *try_create(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return strerrorname_np(errno);
    close(fd);
    unlink(path);
    return "ok";
}

static const char *try_socket(int family, int type) {
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return strerrorname_np(errno);
    close(fd);
    return "ok";
}

static void write_report(void) {
    FILE *report = fopen("/var/lib/hailong/sandbox-report.tmp", "w");
    if (report == NULL) return;
    fprintf(report, "uid=%u\ngid=%u\n", (unsigned)getuid(), (unsigned)getgid());
    gid_t groups[64];
    int count = getgroups(64, groups);
    struct group *gpio = getgrnam("gpio");
    int in_gpio = 0;
    for (int i = 0; gpio != NULL && i < count; i++) in_gpio |= groups[i] == gpio->gr_gid;
    fprintf(report, "in_gpio=%s\n", in_gpio ? "yes" : "no");
    fprintf(report, "write_state=%s\n", try_create("/var/lib/hailong/probe"));
    /* The test makes /srv/anyone mode 1777: only a read-only mount can refuse this. */
    fprintf(report, "write_anyone=%s\n", try_create("/srv/anyone/hailong-probe"));
    fprintf(report, "write_usr=%s\n", try_create("/usr/bin/probe"));
    fprintf(report, "write_tmp=%s\n", try_create("/tmp/probe"));
    fprintf(report, "read_root_home=%s\n", access("/root", R_OK) == 0 ? "ok" : strerrorname_np(errno));
    fprintf(report, "socket_inet=%s\n", try_socket(AF_INET, SOCK_STREAM));
    fprintf(report, "socket_netlink=%s\n", try_socket(AF_NETLINK, SOCK_RAW));
    fprintf(report, "socket_packet=%s\n", try_socket(AF_PACKET, SOCK_RAW));
    fprintf(report, "read_api_token=%s\n", access("/etc/hailong/api-token", R_OK) == 0 ? "ok" : strerrorname_np(errno));
    fprintf(report, "umask=%04o\n", (unsigned)umask(0077));
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    while (status != NULL && fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "CapEff:", 7) == 0) fprintf(report, "cap_eff=%s", line + 8 + strspn(line + 8, " \t"));
        if (strncmp(line, "NoNewPrivs:", 11) == 0) fprintf(report, "no_new_privs=%s", line + 12 + strspn(line + 12, " \t"));
    }
    if (status != NULL) fclose(status);
    fclose(report);
    rename("/var/lib/hailong/sandbox-report.tmp", "/var/lib/hailong/sandbox-report");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "run") != 0) {
        printf("notify stand-in for hailong-agent\n");
        return 0;
    }
    signal(SIGTERM, on_term);
    write_report();
    notify("READY=1\nSTATUS=stand-in: counter Quầy 1, backlog 0");

    const char *usec = getenv("WATCHDOG_USEC");
    long long interval_us = usec != NULL ? atoll(usec) / 3 : 1000000;
    if (interval_us <= 0) interval_us = 1000000;
    int stalled = 0;
    while (!stopping) {
        if (!stalled && access("/var/lib/hailong/stall", F_OK) == 0) {
            unlink("/var/lib/hailong/stall");
            notify("STATUS=stand-in: pipeline stalled");
            stalled = 1;
        }
        if (!stalled) notify("WATCHDOG=1");
        struct timespec pause = {.tv_sec = interval_us / 1000000, .tv_nsec = (interval_us % 1000000) * 1000};
        nanosleep(&pause, NULL);
    }
    notify("STOPPING=1");
    return 0;
}
