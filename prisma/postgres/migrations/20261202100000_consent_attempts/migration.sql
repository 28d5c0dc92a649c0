-- AlterTable
ALTER TABLE "ChatTarget" ADD COLUMN "teamId" TEXT;

-- DropIndex
DROP INDEX "LinkToken_stateHash_key";

-- AlterTable
ALTER TABLE "LinkToken" DROP COLUMN "stateHash",
DROP COLUMN "stateExpiresAt",
DROP COLUMN "stateUsedAt",
ADD COLUMN "connectionIds" TEXT,
ADD COLUMN "renewedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "ConsentAttempt" (
    "id" TEXT NOT NULL,
    "linkId" TEXT NOT NULL,
    "stateHash" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "verifierEnc" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "outcome" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsentAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ConsentAttempt_stateHash_key" ON "ConsentAttempt"("stateHash");

-- CreateIndex
CREATE INDEX "ConsentAttempt_linkId_idx" ON "ConsentAttempt"("linkId");

-- CreateIndex
CREATE INDEX "LinkToken_connectionId_idx" ON "LinkToken"("connectionId");

-- AddForeignKey
ALTER TABLE "ConsentAttempt" ADD CONSTRAINT "ConsentAttempt_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "LinkToken"("id") ON DELETE CASCADE ON UPDATE CASCADE;
