-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Grant" (
    "id" TEXT NOT NULL,
    "xeroUserId" TEXT NOT NULL,
    "xeroUserEmail" TEXT,
    "xeroUserName" TEXT,
    "accessTokenEnc" TEXT,
    "refreshTokenEnc" TEXT,
    "previousRefreshTokenEnc" TEXT,
    "accessTokenExpiresAt" TIMESTAMP(3),
    "refreshedAt" TIMESTAMP(3),
    "scopes" TEXT NOT NULL DEFAULT '',
    "authEventId" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "refreshFailures" INTEGER NOT NULL DEFAULT 0,
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Grant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Connection" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "tenantName" TEXT NOT NULL,
    "tenantType" TEXT NOT NULL DEFAULT 'ORGANISATION',
    "xeroConnectionId" TEXT,
    "grantId" TEXT,
    "state" TEXT NOT NULL DEFAULT 'connected',
    "stateSince" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stateBeforePause" TEXT,
    "connectedByPlatform" TEXT NOT NULL,
    "connectedByUserId" TEXT NOT NULL,
    "connectedByName" TEXT,
    "xeroUserId" TEXT,
    "alertTargetId" TEXT,
    "syncFrom" TIMESTAMP(3),
    "lastCheckAt" TIMESTAMP(3),
    "lastGoodCheckAt" TIMESTAMP(3),
    "nextCheckAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checkLeaseOwner" TEXT,
    "checkLeaseUntil" TIMESTAMP(3),
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "degradedSince" TIMESTAMP(3),
    "lastCause" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Connection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "cause" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "openKey" TEXT,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "brokenSince" TIMESTAMP(3) NOT NULL,
    "lastDetectedAt" TIMESTAMP(3) NOT NULL,
    "detections" INTEGER NOT NULL DEFAULT 1,
    "httpStatus" INTEGER,
    "xeroError" TEXT,
    "alertKey" TEXT,
    "announcedAt" TIMESTAMP(3),
    "nextReminderAt" TIMESTAMP(3),
    "remindersSent" INTEGER NOT NULL DEFAULT 0,
    "disconnectedAt" TIMESTAMP(3),
    "disconnectedBy" TEXT,
    "confirmedXeroAt" TIMESTAMP(3),
    "confirmedXeroBy" TEXT,
    "reconnectRequestedAt" TIMESTAMP(3),
    "reconnectRequestedBy" TEXT,
    "reconnectedAt" TIMESTAMP(3),
    "reconnectedBy" TEXT,
    "resolvedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConnectionLog" (
    "id" SERIAL NOT NULL,
    "connectionId" TEXT,
    "tenantId" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
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

    CONSTRAINT "ConnectionLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LinkToken" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "chatUserId" TEXT NOT NULL,
    "chatUserName" TEXT,
    "connectionId" TEXT,
    "incidentId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "stateHash" TEXT,
    "stateExpiresAt" TIMESTAMP(3),
    "stateUsedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LinkToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Outbox" (
    "id" TEXT NOT NULL,
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
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "platformMessageId" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatMessage" (
    "key" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "channelId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "threadId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatMessage_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "ChatTarget" (
    "id" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "name" TEXT,
    "conversationReference" TEXT,
    "isAlertChannel" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatTarget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "until" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "Notice" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "openKey" TEXT,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "closedAt" TIMESTAMP(3),
    "organisations" TEXT NOT NULL DEFAULT '[]',
    "updates" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Notice_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "Connection" ADD CONSTRAINT "Connection_grantId_fkey" FOREIGN KEY ("grantId") REFERENCES "Grant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Connection" ADD CONSTRAINT "Connection_alertTargetId_fkey" FOREIGN KEY ("alertTargetId") REFERENCES "ChatTarget"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConnectionLog" ADD CONSTRAINT "ConnectionLog_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE SET NULL ON UPDATE CASCADE;

