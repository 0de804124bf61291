// A server may echo the request in its error answer. The excerpt goes on into messages, logs and dead letters,
// so the credentials sent (an Authorization value and its token, configured headers, a client secret in a form,
// all secret) are masked in it.

export function withoutSentCredentials(excerpt: string, sent: Array<string | undefined>): string {
  const values = sent.flatMap((v) => (v === undefined ? [] : [v, v.split(' ').slice(1).join(' ')]));
  return values
    .filter((v) => v.length >= 4)
    .sort((a, b) => b.length - a.length)
    .reduce((text, v) => text.split(v).join('***'), excerpt);
}
