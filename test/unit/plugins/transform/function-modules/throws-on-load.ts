// A module whose top level fails.
throw new Error('missing LOOKUP_URL');
