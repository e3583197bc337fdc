-- Rating campaigns (docs/rating.md; imagescore.store.kind=postgresql): the tenant's images, content-addressed; one row
-- per campaign (its JSON and the last judgement number, taken under the row's lock); the append-only judgement log.

CREATE TABLE rating_images (
    tenant   text  NOT NULL,
    sha256   text  NOT NULL,
    content  bytea NOT NULL,
    PRIMARY KEY (tenant, sha256)
);

CREATE TABLE rating_campaigns (
    tenant    text   NOT NULL,
    name      text   NOT NULL,
    campaign  text   NOT NULL,                 -- the campaign's JSON
    last_seq  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, name)
);

CREATE TABLE rating_judgements (
    tenant     text   NOT NULL,
    campaign   text   NOT NULL,
    seq        bigint NOT NULL CHECK (seq >= 1),
    judgement  text   NOT NULL,                -- the judgement's JSON
    PRIMARY KEY (tenant, campaign, seq),
    FOREIGN KEY (tenant, campaign) REFERENCES rating_campaigns (tenant, name) ON DELETE CASCADE
);
