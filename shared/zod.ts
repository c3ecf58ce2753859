/**
 * zod/mini with English error messages: the schemas of everything a Lambda function loads at
 * start-up (the output contract, the environment, events, index entries) use it instead of
 * classic zod, whose import costs several times as much on every cold start. zod/mini has no
 * messages of its own ("Invalid input"); the English locale gives the ones classic zod gives,
 * which configuration errors and dead-letter reasons show.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

// Only where no language was chosen: a consumer of the contract package may have set its own.
if (z.config().localeError === undefined) z.config(en());

export * from 'zod/mini';
