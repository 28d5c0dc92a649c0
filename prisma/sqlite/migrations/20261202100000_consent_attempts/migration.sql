-- AlterTable
ALTER TABLE "ChatTarget" ADD COLUMN "teamId" TEXT;

-- DropIndex
DROP INDEX "LinkToken_stateHash_key";

-- AlterTable
ALTER TABLE "LinkToken" DROP COLUMN "stateHash";
ALTER TABLE "LinkToken" DROP COLUMN "stateExpiresAt";
ALTER TABLE "LinkToken" DROP COLUMN "stateUsedAt";
ALTER TABLE "LinkToken" ADD COLUMN "connectionIds" TEXT;
ALTER TABLE "LinkToken" ADD COLUMN "renewedAt" DATETIME;

-- CreateTable
CREATE TABLE "ConsentAttempt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "linkId" TEXT NOT NULL,
    "stateHash" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "verifierEnc" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "outcome" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ConsentAttempt_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "LinkToken" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ConsentAttempt_stateHash_key" ON "ConsentAttempt"("stateHash");

-- CreateIndex
CREATE INDEX "ConsentAttempt_linkId_idx" ON "ConsentAttempt"("linkId");

-- CreateIndex
CREATE INDEX "LinkToken_connectionId_idx" ON "LinkToken"("connectionId");
