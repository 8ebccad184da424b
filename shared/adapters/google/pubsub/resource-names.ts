const FULL_NAME = /^projects\/([^/]+)\/(topics|subscriptions)\/(.+)$/;

/** `projects/P/topics/T`, as Pub/Sub wants a dead-letter topic; a name that is already full is kept. */
export function fullTopicName(projectId: string, topic: string): string {
  return FULL_NAME.test(topic) ? topic : `projects/${projectId}/topics/${topic}`;
}

/** The short form of a resource name in `projectId`, so messages and comparisons use the names callers gave. */
export function shortResourceName(projectId: string, name: string): string {
  const match = FULL_NAME.exec(name);
  return match !== null && match[1] === projectId && match[3] !== undefined ? match[3] : name;
}
