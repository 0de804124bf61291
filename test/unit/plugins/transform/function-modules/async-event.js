// A JavaScript function processor module that answers asynchronously.
export default async (event) => ({ ...event, headers: { ...event.headers, checked: 'yes' } });
