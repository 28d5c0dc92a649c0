// Bot Framework authentication from the service's settings, with one correction: a token whose
// signature does not verify makes the SDK throw jsonwebtoken's own error, which CloudAdapter answers
// with 500. A request with a bad token is unauthorised, so it is turned into a 401 here. Problems
// on our side (the signing keys cannot be fetched) stay 500: the channel retries those.
import { ConfigurationBotFrameworkAuthentication, type ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import {
  AuthenticationError,
  BotFrameworkAuthentication,
  type AuthenticateRequestResult,
  type BotFrameworkClient,
  type ClaimsIdentity,
  type ConnectorFactory,
  type UserTokenClient,
} from 'botframework-connector';
import type { Activity } from 'botbuilder';

const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

function asUnauthorised(error: unknown): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && TOKEN_ERRORS.has(name)) {
    return new AuthenticationError(`Unauthorized: ${(error as Error).message}`, 401);
  }
  return error;
}

export class TeamsAuthentication extends BotFrameworkAuthentication {
  private readonly inner: ConfigurationBotFrameworkAuthentication;

  constructor(options: ConfigurationBotFrameworkAuthenticationOptions) {
    super();
    this.inner = new ConfigurationBotFrameworkAuthentication(options);
  }

  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    try {
      return await this.inner.authenticateRequest(activity, authHeader);
    } catch (error) {
      throw asUnauthorised(error);
    }
  }

  override async authenticateStreamingRequest(authHeader: string, channelIdHeader: string): Promise<AuthenticateRequestResult> {
    try {
      return await this.inner.authenticateStreamingRequest(authHeader, channelIdHeader);
    } catch (error) {
      throw asUnauthorised(error);
    }
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.inner.createConnectorFactory(claimsIdentity);
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.inner.createUserTokenClient(claimsIdentity);
  }

  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }

  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }

  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.inner.authenticateChannelRequest(authHeader);
  }
}
