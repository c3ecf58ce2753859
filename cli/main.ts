/**
 * `article-digest`: the command line. Parses the command and dispatches to it; a mistake the
 * user can fix ends as one line on stderr and exit code 2.
 */
import { ConfigError } from '../shared/config';
import { BACKFILL_USAGE, backfillCommand } from './backfill/command';
import { RUN_USAGE, runCommand } from './local/command';
import { REVIEW_USAGE, reviewCommand } from './review/command';
import { UsageError } from './usage';

const USAGE = `Usage: article-digest <command> [options]

Commands:
  run [files or folders...]   digest files locally (default: the sample articles); --watch keeps
                              a local S3 server up and digests what is dropped into it
  backfill                    send objects already in a bucket through the queue again
  review                      write the review page (one HTML file that works offline)
  help [command]              this help, or a command's

"article-digest <command> --help" describes a command's options.`;

const COMMANDS: Record<string, { usage: string; run: (argv: string[]) => Promise<number> }> = {
  run: { usage: RUN_USAGE, run: (argv) => runCommand(argv) },
  backfill: { usage: BACKFILL_USAGE, run: (argv) => backfillCommand(argv) },
  review: { usage: REVIEW_USAGE, run: (argv) => reviewCommand(argv) },
};

/** Runs the command line with `argv` (without node and the script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  // Options without a command are the default command's: `article-digest --out x`.
  const [name, args] =
    first === undefined || (first.startsWith('-') && !['-h', '--help'].includes(first))
      ? ['run', argv]
      : [first, rest];
  if (name === 'help' || name === '--help' || name === '-h') {
    const [topic, ...extra] = args;
    if (topic === undefined || topic === 'help') {
      console.log(USAGE);
      return 0;
    }
    if (extra.length > 0) {
      console.error(
        `article-digest help: one command at a time, not ${args.join(' ')}: "article-digest help ${topic}"`,
      );
      return 2;
    }
    const known = COMMANDS[topic];
    if (!known) return unknownCommand(topic);
    console.log(known.usage);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) return unknownCommand(name);
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`article-digest ${name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

function unknownCommand(name: string): number {
  console.error(
    `article-digest: unknown command "${name}"; the commands are run, backfill and review (see "article-digest --help")`,
  );
  return 2;
}
