-- CreateTable
CREATE TABLE "Grant" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "xeroUserId" TEXT NOT NULL,
    "xeroUserEmail" TEXT,
    "xeroUserName" TEXT,
    "accessTokenEnc" TEXT,
    "refreshTokenEnc" TEXT,
    "previousRefreshTokenEnc" TEXT,
    "accessTokenExpiresAt" DATETIME,
    "refreshedAt" DATETIME,
    "scopes" TEXT NOT NULL DEFAULT '',
    "authEventId" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "leaseOwner" TEXT,
    "leaseUntil" DATETIME,
    "refreshFailures" INTEGER NOT NULL DEFAULT 0,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Connection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenantId" TEXT NOT NULL,
    "tenantName" TEXT NOT NULL,
    "tenantType" TEXT NOT NULL DEFAULT 'ORGANISATION',
    "xeroConnectionId" TEXT,
    "grantId" TEXT,
    "state" TEXT NOT NULL DEFAULT 'connected',
    "stateSince" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stateBeforePause" TEXT,
    "connectedByPlatform" TEXT NOT NULL,
    "connectedByUserId" TEXT NOT NULL,
    "connectedByName" TEXT,
    "xeroUserId" TEXT,
    "alertTargetId" TEXT,
    "syncFrom" DATETIME,
    "lastCheckAt" DATETIME,
    "lastGoodCheckAt" DATETIME,
    "nextCheckAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checkLeaseOwner" TEXT,
    "checkLeaseUntil" DATETIME,
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "degradedSince" DATETIME,
    "lastCause" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Connection_grantId_fkey" FOREIGN KEY ("grantId") REFERENCES "Grant" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Connection_alertTargetId_fkey" FOREIGN KEY ("alertTargetId") REFERENCES "ChatTarget" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "connectionId" TEXT NOT NULL,
    "cause" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "openKey" TEXT,
    "openedAt" DATETIME NOT NULL,
    "brokenSince" DATETIME NOT NULL,
    "lastDetectedAt" DATETIME NOT NULL,
    "detections" INTEGER NOT NULL DEFAULT 1,
    "httpStatus" INTEGER,
    "xeroError" TEXT,
    "alertKey" TEXT,
    "announcedAt" DATETIME,
    "nextReminderAt" DATETIME,
    "remindersSent" INTEGER NOT NULL DEFAULT 0,
    "disconnectedAt" DATETIME,
    "disconnectedBy" TEXT,
    "confirmedXeroAt" DATETIME,
    "confirmedXeroBy" TEXT,
    "reconnectRequestedAt" DATETIME,
    "reconnectRequestedBy" TEXT,
    "reconnectedAt" DATETIME,
    "reconnectedBy" TEXT,
    "resolvedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Incident_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ConnectionLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "connectionId" TEXT,
    "tenantId" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "httpStatus" INTEGER,
    "xeroError" TEXT,
    "cause" TEXT,
    "fromState" TEXT,
    "toState" TEXT,
    "actorPlatform" TEXT,
    "actorId" TEXT,
    "actorName" TEXT,
    "detail" TEXT,
    CONSTRAINT "ConnectionLog_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LinkToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tokenHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "chatUserId" TEXT NOT NULL,
    "chatUserName" TEXT,
    "connectionId" TEXT,
    "incidentId" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "stateHash" TEXT,
    "stateExpiresAt" DATETIME,
    "stateUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Outbox" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "dedupeKey" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "messageKey" TEXT,
    "parentKey" TEXT,
    "targetId" TEXT,
    "address" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseOwner" TEXT,
    "leaseUntil" DATETIME,
    "lastError" TEXT,
    "platformMessageId" TEXT,
    "sentAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ChatMessage" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "platform" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "threadId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ChatTarget" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "platform" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "name" TEXT,
    "conversationReference" TEXT,
    "isAlertChannel" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT NOT NULL,
    "until" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Notice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "openKey" TEXT,
    "openedAt" DATETIME NOT NULL,
    "closedAt" DATETIME,
    "organisations" TEXT NOT NULL DEFAULT '[]',
    "updates" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "Grant_leaseUntil_idx" ON "Grant"("leaseUntil");

-- CreateIndex
CREATE UNIQUE INDEX "Connection_tenantId_key" ON "Connection"("tenantId");

-- CreateIndex
CREATE INDEX "Connection_nextCheckAt_idx" ON "Connection"("nextCheckAt");

-- CreateIndex
CREATE INDEX "Connection_grantId_idx" ON "Connection"("grantId");

-- CreateIndex
CREATE UNIQUE INDEX "Incident_openKey_key" ON "Incident"("openKey");

-- CreateIndex
CREATE INDEX "Incident_connectionId_status_idx" ON "Incident"("connectionId", "status");

-- CreateIndex
CREATE INDEX "Incident_status_nextReminderAt_idx" ON "Incident"("status", "nextReminderAt");

-- CreateIndex
CREATE INDEX "Incident_status_announcedAt_idx" ON "Incident"("status", "announcedAt");

-- CreateIndex
CREATE INDEX "ConnectionLog_connectionId_at_idx" ON "ConnectionLog"("connectionId", "at");

-- CreateIndex
CREATE INDEX "ConnectionLog_outcome_at_idx" ON "ConnectionLog"("outcome", "at");

-- CreateIndex
CREATE UNIQUE INDEX "LinkToken_tokenHash_key" ON "LinkToken"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "LinkToken_stateHash_key" ON "LinkToken"("stateHash");

-- CreateIndex
CREATE INDEX "LinkToken_expiresAt_idx" ON "LinkToken"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Outbox_dedupeKey_key" ON "Outbox"("dedupeKey");

-- CreateIndex
CREATE INDEX "Outbox_status_nextAttemptAt_idx" ON "Outbox"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Outbox_messageKey_kind_createdAt_idx" ON "Outbox"("messageKey", "kind", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ChatTarget_platform_kind_externalId_key" ON "ChatTarget"("platform", "kind", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "Notice_openKey_key" ON "Notice"("openKey");

