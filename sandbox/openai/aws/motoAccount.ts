// moto keeps one world per AWS account and picks it from the `x-moto-account-id` header (else from the
// access key it handed out, else 123456789012). The twin (deciding for OpenAI as AWS would) and the seeder
// reach each account's state this way; the worker reaches it as a customer would, by assuming a role.

/** The client, each of its requests sent to moto's world of `account`. */
export function withMotoAccount<C extends { middlewareStack: { add: (...args: never[]) => void } }>(
  client: C,
  account: string,
): C {
  const add = client.middlewareStack.add as unknown as (
    middleware: (
      next: (args: { request: unknown }) => Promise<unknown>,
    ) => (args: { request: unknown }) => Promise<unknown>,
    options: { step: 'build'; name: string },
  ) => void;
  add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
}

/** The account an ARN names (arn:partition:service:region:account:…), or undefined. */
export const accountOfArn = (arn: string): string | undefined => {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
};
