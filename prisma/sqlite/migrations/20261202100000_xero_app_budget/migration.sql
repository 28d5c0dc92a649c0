-- CreateTable
CREATE TABLE "XeroAppBudget" (
    "second" BIGINT NOT NULL PRIMARY KEY,
    "calls" INTEGER NOT NULL DEFAULT 0
);

