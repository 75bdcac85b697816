/* Command-line tools around the worker, in the spirit of kcat but speaking
 * impactd's encodings and configuration:
 *
 *   impactd produce --topic T ...   JSON lines on stdin -> topic T (Avro or
 * JSON) impactd tail --topic T ...      topic T -> one JSON object per line on
 * stdout
 *
 * Each takes the subcommand's own argv (argv[0] is the subcommand name, e.g.
 * "produce"), parses it with getopt_long, and returns a process exit code
 * from impactd.h: IMPACTD_EXIT_OK, _FAILURE, _USAGE or _CONFIG.  `--help`
 * prints the usage to stdout and returns IMPACTD_EXIT_OK.
 *
 * Both find their configuration the same way: --config FILE, else
 * $IMPACTD_CONFIG, else ./config/impactd.yaml when it exists, else built-in
 * defaults; and their brokers: --brokers, else kafka.brokers of the
 * configuration, else $IMPACTD_KAFKA_BROKERS. */
#ifndef IMPACTD_CLI_TOOLS_H
#define IMPACTD_CLI_TOOLS_H

/* Reads JSON events from stdin (one per line; blank lines and lines starting
 * with '#' are skipped), converts each to the topic's encoding and produces
 * it, keyed by --key-field or else the first of incident_key, service,
 * account_id.  Waits for every delivery report.  Returns _FAILURE when any
 * line did not convert or any message was not delivered (the other lines are
 * still sent). */
int cli_produce(int argc, char **argv);

/* Prints topic T from the beginning of every partition (no consumer group
 * join, no offsets committed) as JSON lines on stdout, flushed per line.
 * Stops after --count messages, at the end of every partition (unless
 * --follow), or after --timeout-ms without a new message. */
int cli_tail(int argc, char **argv);

/* impactd rewind: commits, for the workers' group, the input offsets at
 * a time or the earliest kept, so the next run replays from there (after
 * Redis lost state: docs/operations.md).  _FAILURE when the group is in
 * use. */
int cli_rewind(int argc, char **argv);

/* impactd silence add|list|remove: maintenance windows in Redis
 * (src/cli_silence.c).  _NOT_FOUND when removing an unknown silence. */
int cli_silence(int argc, char **argv);

#endif
