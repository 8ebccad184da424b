/** Octue prefixes every exception message a service sends with the service that raised it. */
export function serviceExceptionMessage(serviceSruid: string, message: string): string {
  return `Error in <Service('${serviceSruid}')>: ${message}`;
}
