-- Seed 0001: Borås — Samverkansöverenskommelse mellan Borås Stad och Polismyndigheten,
-- lokalpolisområde Borås 2018-2020, and the Medborgarlöfte Hässleholmen – Hulta – Norrby
-- (januari 2018 – januari 2019).
-- Source: seeds/samverkansoverenskommelse-boras-polisen-2018-2020.txt (KS 2018-00102).
--
-- Run by `estd seed` in one transaction. Idempotent: every INSERT resolves ids through natural
-- keys (code), skips rows that already exist (WHERE NOT EXISTS, so a re-run neither writes rows
-- nor draws identity values) and keeps ON CONFLICT DO NOTHING as a guard against a concurrent
-- seeder. Rows already present are never updated. No hard-coded ids; no BEGIN/COMMIT; plain SQL
-- (no psql meta-commands), so it can be sent with a single PQexec.

-- ---------------------------------------------------------------------------------------------
-- Parter
-- ---------------------------------------------------------------------------------------------
INSERT INTO parties (code, name, name_en, kind, description)
SELECT v.code, v.name, v.name_en, v.kind, v.description
FROM (VALUES
    ('polisen-boras',
     'Polismyndigheten, lokalpolisområde Borås',
     'Swedish Police Authority, local police area Borås',
     'police',
     'Lokalpolisområde Borås. Undertecknar samverkansöverenskommelsen genom lokalpolisområdeschefen och står bakom medborgarlöftet.'),
    ('boras-stad',
     'Borås Stad',
     'City of Borås',
     'municipality',
     'Kommunen. Kommunstyrelsen godkänner samverkansöverenskommelsen; Brottsförebyggande rådet (Brå) följer upp den.'),
    ('ab-bostader',
     'AB Bostäder i Borås',
     'AB Bostäder i Borås (municipal housing company)',
     'housing_company',
     'Kommunalt bostadsbolag. Samarbetar med Borås Stad och Polisen inom EST (Effektiv samordning för trygghet) och står bakom medborgarlöftet.')
) AS v(code, name, name_en, kind, description)
WHERE NOT EXISTS (SELECT 1 FROM parties p WHERE p.code = v.code)
ON CONFLICT (code) DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Överenskommelser
-- ---------------------------------------------------------------------------------------------
INSERT INTO agreements (code, kind, title, title_en, description, valid_from, valid_to, signed_on, goals)
SELECT 'boras-polisen-2018-2020',
       'samverkansoverenskommelse',
       'Samverkansöverenskommelse mellan Borås Stad och Polismyndigheten, lokalpolisområde Borås 2018-2020',
       'Cooperation agreement between the City of Borås and the Swedish Police Authority, local police area Borås, 2018–2020',
       'Samverkansöverenskommelsen mellan Polismyndigheten och Borås Stad ska ligga till grund för det operativa '
       || 'brottsförebyggande arbetet i Borås och verka för en minskad brottslighet och ökad trygghet. '
       || 'Samverkansöverenskommelsen avser en treårig överenskommelse, vilken bygger på gemensamma kraftsamlingar '
       || 'inom följande områden: förhindra negativ utveckling hos ungdomar som befinner sig i riskzon för '
       || 'problemutveckling och kriminalitet och/eller radikaliseringsområden som leder till våldsbejakande '
       || 'extremism; skapa trygga offentliga miljöer; gemensamma kraftsamlingar på de områden där behoven är som störst. '
       || 'Godkänd av Kommunstyrelsen (Dnr KS 2018-00102).',
       DATE '2018-01-01', DATE '2020-12-31', DATE '2018-02-20',
       -- "Det gemensamma målet med överenskommelsen 2018-2020 är att öka tryggheten och minska brottsligheten."
       '["Öka tryggheten", "Minska brottsligheten"]'::jsonb
WHERE NOT EXISTS (SELECT 1 FROM agreements a WHERE a.code = 'boras-polisen-2018-2020')
ON CONFLICT (code) DO NOTHING;

INSERT INTO agreements (code, kind, title, title_en, description, valid_from, valid_to, signed_on,
                        complements_agreement_id, goals)
SELECT 'medborgarlofte-hassleholmen-hulta-norrby-2018',
       'medborgarlofte',
       'Medborgarlöfte Hässleholmen – Hulta – Norrby',
       'Citizen promise Hässleholmen – Hulta – Norrby',
       'Fokus på de särskilt utsatta områdena i Borås Stad. Medborgarlöftet är ett åtagande som lokalpolisområde '
       || 'Borås, AB Bostäder och Borås Stad i allmänhet skapat för invånarna i staden, och i synnerhet för '
       || 'invånarna i stadsdelarna Hässleholmen och Hulta samt Norrby under ett år. Löftet innebär konkreta '
       || 'aktiviteter som genomförs i syfte att öka tryggheten och minska brottsligheten i berörda stadsdelar. '
       || 'Medborgarlöftet är ett komplement till samverkansöverenskommelsen. Gäller januari 2018 – januari 2019. '
       || '(Källdokumentet är märkt UTKAST; undertecknare och datum anges inte.)',
       DATE '2018-01-01', DATE '2019-01-31', NULL::date,
       so.id,
       '["Minskat problem med brottslighet på stadsdelarna", "Ökad trygghet bland invånarna i stadsdelarna", "Ökat förtroende för polis och Borås Stad hos invånarna"]'::jsonb
FROM agreements so
WHERE so.code = 'boras-polisen-2018-2020'
  AND NOT EXISTS (SELECT 1 FROM agreements a WHERE a.code = 'medborgarlofte-hassleholmen-hulta-norrby-2018')
ON CONFLICT (code) DO NOTHING;

INSERT INTO agreement_parties (agreement_id, party_id, role, signed_by)
SELECT a.id, p.id, 'signatory', v.signed_by
FROM (VALUES
    ('boras-polisen-2018-2020', 'boras-stad',    'Ulf Olsson, Kommunstyrelsens ordförande'),
    ('boras-polisen-2018-2020', 'polisen-boras', 'Tomas Jansson, Lokalpolisområdeschef'),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', 'polisen-boras', NULL),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', 'ab-bostader',   NULL),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', 'boras-stad',    NULL)
) AS v(agreement_code, party_code, signed_by)
JOIN agreements a ON a.code = v.agreement_code
JOIN parties p ON p.code = v.party_code
WHERE NOT EXISTS (SELECT 1 FROM agreement_parties ap WHERE ap.agreement_id = a.id AND ap.party_id = p.id)
ON CONFLICT (agreement_id, party_id) DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Samverkansområden 2018-2020
-- ---------------------------------------------------------------------------------------------
INSERT INTO cooperation_areas (agreement_id, code, title, title_en, description, ordinal)
SELECT a.id, v.code, v.title, v.title_en, v.description, v.ordinal
FROM (VALUES
    ('so-1', 1,
     'Förhindra negativ utveckling hos ungdomar som befinner sig i riskzon för problemutveckling och kriminalitet och/eller radikaliseringsområden som leder till våldsbejakande extremism',
     'Prevent negative development among young people at risk of problem development and criminality and/or radicalisation leading to violent extremism',
     'Samverkan syftar till att främja barn och ungas delaktighet och tillhörighet i samhället, att minska '
     || 'utslagning bland unga genom att erbjuda andra/meningsfulla alternativ. Samarbeten och insatser som är '
     || 'riktade till barn och unga i riskzonen ska intensifieras, för att förhindra att ungdomar i riskzonen '
     || 'utvecklar kriminella beteenden. Samverkan ska generellt ske inom befintliga strukturer.' || E'\n\n'
     || 'Samverkan ska även ske för att förhindra radikaliseringsområden som kan leda till våldsbejakande extremism.'),
    ('so-2', 2,
     'Skapa trygga offentliga miljöer',
     'Create safe public environments',
     'De offentliga miljöerna avses att vara trygga platser för våra invånare och besökare. Det är viktigt att '
     || 'stadens torg och parker upplevs trygga och är tillgängliga så att de bidrar till rörelse och möten mellan '
     || 'människor oberoende av ålder, etnicitet, kön eller tillhörighet.'),
    ('so-3', 3,
     'Gemensamma kraftsamlingar på de områden där behoven är som störst',
     'Joint concentrated efforts in the areas where the needs are greatest',
     'I Borås Stad finns, enligt Polisens nationella operativa avdelning (NOA), två särskilt utsatta områden: '
     || 'Hässleholmen/Hulta och Norrby. På dessa områden krävs ett särskilt nära samarbete för att komplettera '
     || 'polisens och kommunens insatser med varandra samt att involvera andra samarbetspartners. De gemensamma '
     || 'kraftsamlingarna avser främst dessa två områden. Men utöver en nära samverkan på dessa områden är det '
     || 'viktigt att följa andra områden för eventuell problemutveckling. Om behov uppstår så är det viktigt med '
     || 'flexibilitet i insatserna för att motverka att nya särskilt utsatta områden uppstår.' || E'\n\n'
     || 'Sedan 2017 samarbetar Borås Stad, Polisen och AB Bostäder för ”Effektiv samordning för trygghet”(EST). '
     || 'EST är en arbetsmetodik som ska fungera i det vardagliga linjearbetet, och som integrerar ett '
     || 'händelseinriktat arbete med ett långsiktigt brottsförebyggande och trygghetsskapande arbete. Metodiken '
     || 'bygger på samverkan och arbetet syftar till att minska brott och stärka tryggheten i socialt utsatta '
     || 'områden och i områdenas offentliga miljö.' || E'\n\n'
     || 'Utöver fysiska områden kan ”område” även innebära företeelser och-/eller trender som är knutna till '
     || 'delar av- eller hela Borås och som kräver särskilda insatser.')
) AS v(code, ordinal, title, title_en, description)
JOIN agreements a ON a.code = 'boras-polisen-2018-2020'
WHERE NOT EXISTS (SELECT 1 FROM cooperation_areas c WHERE c.agreement_id = a.id AND c.code = v.code)
ON CONFLICT (agreement_id, code) DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Områden. District boundaries are deliberately simple, approximate polygons (lon/lat, WGS84)
-- placed at the districts' real locations; they are NOT official boundaries. Districts do not
-- overlap; Hässleholmen and Hulta share an edge (the motorway, riksväg 40) so that their union,
-- the särskilt utsatt område "Hässleholmen/Hulta", is a single polygon.
-- ---------------------------------------------------------------------------------------------
INSERT INTO areas (code, name, kind, geom, approximate, description)
SELECT v.code, v.name, 'district', ST_Multi(ST_GeomFromText(v.wkt, 4326)), true, v.description
FROM (VALUES
    ('centrum', 'Centrum',
     'POLYGON((12.9300 57.7165, 12.9380 57.7150, 12.9500 57.7155, 12.9520 57.7200, 12.9490 57.7250, 12.9330 57.7250, 12.9300 57.7215, 12.9300 57.7165))',
     'Borås centrum kring Stora torget, med stadens centrala torg och parker. Ungefärlig, förenklad avgränsning – inte en officiell gräns (approximate boundary, not official).'),
    ('norrby', 'Norrby',
     'POLYGON((12.9240 57.7270, 12.9290 57.7255, 12.9360 57.7260, 12.9360 57.7300, 12.9310 57.7315, 12.9250 57.7310, 12.9240 57.7270))',
     'Stadsdel strax norr om centrum och järnvägsstationen, cirka 600 meter i diameter. Ungefärlig, förenklad avgränsning – inte en officiell gräns (approximate boundary, not official).'),
    ('sjobo', 'Sjöbo',
     'POLYGON((12.9300 57.7460, 12.9400 57.7450, 12.9470 57.7480, 12.9460 57.7580, 12.9370 57.7590, 12.9290 57.7550, 12.9300 57.7460))',
     'Stadsdel i norra Borås, öster om Viskan, mellan Boråsparken och Öresjö. Ungefärlig, förenklad avgränsning – inte en officiell gräns (approximate boundary, not official).'),
    ('hassleholmen', 'Hässleholmen',
     'POLYGON((12.9660 57.7330, 12.9860 57.7330, 12.9860 57.7410, 12.9800 57.7440, 12.9700 57.7440, 12.9660 57.7390, 12.9660 57.7330))',
     'Stadsdel i nordöstra Borås, norr om riksväg 40 och öster om Södra Älvsborgs sjukhus. Ungefärlig, förenklad avgränsning – inte en officiell gräns (approximate boundary, not official).'),
    ('hulta', 'Hulta',
     'POLYGON((12.9720 57.7240, 12.9800 57.7220, 12.9940 57.7230, 12.9960 57.7290, 12.9960 57.7330, 12.9720 57.7330, 12.9720 57.7240))',
     'Stadsdel i östra Borås kring Hulta torg, söder om riksväg 40 och Hässleholmen. Ungefärlig, förenklad avgränsning – inte en officiell gräns (approximate boundary, not official).'),
    ('kristineberg', 'Kristineberg',
     'POLYGON((12.9170 57.7060, 12.9230 57.7035, 12.9320 57.7050, 12.9320 57.7110, 12.9260 57.7125, 12.9180 57.7110, 12.9170 57.7060))',
     'Stadsdel i sydvästra Borås, söder och öster om Viskan, väster om Varbergsvägen. Ungefärlig, förenklad avgränsning – inte en officiell gräns (approximate boundary, not official).')
) AS v(code, name, wkt, description)
WHERE NOT EXISTS (SELECT 1 FROM areas ar WHERE ar.code = v.code)
ON CONFLICT (code) DO NOTHING;

-- Särskilt utsatta områden (Polisens NOA, 2017): derived from the district polygons above.
INSERT INTO areas (code, name, kind, geom, approximate, description)
SELECT 'hassleholmen-hulta', 'Hässleholmen/Hulta (särskilt utsatt område)', 'sarskilt_utsatt_omrade',
       ST_Multi(ST_Union(ar.geom)), true,
       'Särskilt utsatt område enligt Polisens nationella operativa avdelning (NOA). Geometrin är unionen av de '
       || 'ungefärliga stadsdelarna Hässleholmen och Hulta – inte NOA:s officiella avgränsning (approximate boundary, not official).'
FROM areas ar
WHERE ar.code IN ('hassleholmen', 'hulta')
  AND NOT EXISTS (SELECT 1 FROM areas x WHERE x.code = 'hassleholmen-hulta')
HAVING count(*) = 2
ON CONFLICT (code) DO NOTHING;

INSERT INTO areas (code, name, kind, geom, approximate, description)
SELECT 'norrby-suo', 'Norrby (särskilt utsatt område)', 'sarskilt_utsatt_omrade',
       ar.geom, true,
       'Särskilt utsatt område enligt Polisens nationella operativa avdelning (NOA). Geometrin är densamma som den '
       || 'ungefärliga stadsdelen Norrby – inte NOA:s officiella avgränsning (approximate boundary, not official).'
FROM areas ar
WHERE ar.code = 'norrby'
  AND NOT EXISTS (SELECT 1 FROM areas x WHERE x.code = 'norrby-suo')
ON CONFLICT (code) DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Åtaganden. Samverkansöverenskommelsen: every "Polisen/Borås Stad förbinder sig att" bullet,
-- written as a full sentence ("<Part> förbinder sig att " + bullet text as written).
-- Medborgarlöftet: each promise under "Det här lovar vi", verbatim (incl. the parenthesised
-- responsible parties). Targets only where the text states a number.
-- Code scheme: so-<område>-<part>-<n> / ml-<n>; n = bullet position in the document.
-- ---------------------------------------------------------------------------------------------
INSERT INTO commitments (agreement_id, cooperation_area_id, code, text,
                         target_value, target_unit, target_comparison, target_per, target_from, target_to,
                         status)
SELECT a.id, ca.id, v.code, v.text,
       v.target_value::numeric, v.target_unit, v.target_comparison, v.target_per,
       v.target_from::date, v.target_to::date,
       'planned'
FROM (VALUES
    -- Samverkansområde 1: ungdomar i riskzon / våldsbejakande extremism
    ('boras-polisen-2018-2020', 'so-1', 'so-1-polisen-1',
     'Polisen förbinder sig att delta i samtliga nio lokala nätverksgrupper för barn och unga 10-16 år',
     '9', 'network_group', 'at_least', 'period', '2018-01-01', '2020-12-31'),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-polisen-2',
     'Polisen förbinder sig att medverka i SSPF',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-polisen-3',
     'Polisen förbinder sig att delta i det förebyggande arbetet vid kritiska datum',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-polisen-4',
     'Polisen förbinder sig att motverka våldsbejakande extremism samt vara delaktiga i det förebyggande arbetet',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-boras-stad-1',
     'Borås Stad förbinder sig att vara sammanställande och driva de lokala nätverksgrupperna för barn och unga 10-16 år samt kvalitetssäkra tvärprofessionell medverkan i nätverksgrupperna',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-boras-stad-2',
     'Borås Stad förbinder sig att samordna arbetet med SSPF och utvecklingen av metoden',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-boras-stad-3',
     'Borås Stad förbinder sig att samordna arbetet vid kritiska datum',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-boras-stad-4',
     'Borås Stad förbinder sig att aktivt arbeta med föreningslivet för att främja barns och ungas möjligheter att delta i meningsfulla fritidsaktiviteter och utvecklas till goda demokratiska medborgare',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-boras-stad-5',
     'Borås Stad förbinder sig att ansvara för och aktivt arbeta förebyggande gällande våldsbejakad extremism',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-1', 'so-1-boras-stad-6',
     'Borås Stad förbinder sig att vid behov erbjuda föräldraskapsstöd och/eller stöd till målgruppen samt till personal',
     NULL, NULL, NULL, NULL, NULL, NULL),
    -- Samverkansområde 2: trygga offentliga miljöer
    ('boras-polisen-2018-2020', 'so-2', 'so-2-polisen-1',
     'Polisen förbinder sig att medverka i stadens byggprocess och samhällsplanering',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-2', 'so-2-polisen-2',
     'Polisen förbinder sig att identifiera så kallade hot-spots och aktivt arbeta med insatser kring dessa',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-2', 'so-2-polisen-3',
     'Polisen förbinder sig att uppmärksamma osäkra och/eller otrygga miljöer och samarbeta i åtgärdsarbetet för dessa',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-2', 'so-2-polisen-4',
     'Polisen förbinder sig att delta i Borås Stads trafiksäkerhetsråd',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-2', 'so-2-boras-stad-1',
     'Borås Stad förbinder sig att inkludera trygghetsaspekten i byggprocessen och samhällsplaneringen',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-2', 'so-2-boras-stad-2',
     'Borås Stad förbinder sig att skapa trygga miljöer, med särskilt fokus på stadens parker, torgmiljöer och skolgårdar utifrån aktuell kunskap/forskning',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-2', 'so-2-boras-stad-3',
     'Borås Stad förbinder sig att genomföra årliga trygghetsvandringar utifrån framtagna riktlinjer, där aktörer i lokala Områdesnätverk samt medborgare på respektive område involveras',
     '1', 'trygghetsvandring', 'at_least', 'year', '2018-01-01', '2020-12-31'),
    -- Samverkansområde 3: gemensamma kraftsamlingar där behoven är som störst
    ('boras-polisen-2018-2020', 'so-3', 'so-3-polisen-1',
     'Polisen förbinder sig att medverka i EST – effektiv samordning för trygghet, tillsammans med Borås Stad och AB Bostäder, på Hässleholmen/Hulta och Norrby',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-polisen-2',
     'Polisen förbinder sig att tillsammans med AB Bostäder initiera och utveckla grannsamverkan i flerfamiljshus',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-polisen-3',
     'Polisen förbinder sig att medverka i uttagningen och utbildningen av stadsdelsvärdar för trygghetssatsningen på områdena Hässleholmen/Hulta och Norrby',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-polisen-4',
     'Polisen förbinder sig att motverka radikaliserings som leder till våldsbejakande extremism',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-boras-stad-1',
     'Borås Stad förbinder sig att medverka i EST – effektiv samordning för trygghet, tillsammans med Polisen och AB Bostäder, på Hässleholmen/Hulta och Norrby',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-boras-stad-2',
     'Borås Stad förbinder sig att utveckla Mötesplatsernas verksamhet på Norrby, Hulta, Hässleholmen, Sjöbo och Kristineberg. Mötesplatserna ska vara en naturlig träffpunkt där invånare, civilsamhället och kommunens verksamheter möts och gemensamt arbetar för att stärka tryggheten i området',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-boras-stad-3',
     'Borås Stad förbinder sig att genom ”Trygghetssatsningen” och stadsdelsvärdarnas arbete flytta ut resurser närmare medborgarna. Dessa avser att utgöra en länk mellan myndigheter, organisationer och medborgarna',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-boras-stad-4',
     'Borås Stad förbinder sig att genomföra trygghetsronder med personal/verksamheter, och vid behov berörda samarbetspartners, för att förbättra deras arbetssituation på- och i anslutning till aktuell arbetsplats',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-boras-stad-5',
     'Borås Stad förbinder sig att medverka i- och tillsammans med Polisen och AB Bostäder utveckla arbetet med grannsamverkan i flerfamiljshus',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('boras-polisen-2018-2020', 'so-3', 'so-3-boras-stad-6',
     'Borås Stad förbinder sig att ansvara för det förebyggande arbetet gällande våldsbejakande extremism',
     NULL, NULL, NULL, NULL, NULL, NULL),
    -- Medborgarlöftet: "Det här lovar vi" (no samverkansområde)
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', NULL, 'ml-1',
     'Fortsatt hög polis närvaro på Hässleholmen/Hulta och Norrby genom patrullering på otrygga och särskilt brottsutsatta platser, s.k. hot spot (polis).',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', NULL, 'ml-2',
     'Ökad uniformerad synlighet på stadsdelen Norrby. Trygghetsskapande arbete med bland annat fotpatrullering i området (Polis).',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', NULL, 'ml-3',
     'Ett fortsatt intensifierat arbete mot organiserad brottslighet. Fyra operativa insatser under perioden (Polis).',
     '4', 'operative_action', 'at_least', 'period', '2018-01-01', '2019-01-31'),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', NULL, 'ml-4',
     'Intensifierat arbete mot tongivande kriminella aktörer i stadsdelarna (Polis)',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', NULL, 'ml-5',
     'Minst Fyra informationstillfällen till medborgare för att öka tilliten och förtroendet för polisen och Borås stad. (Polis, Borås stad, AB Bostäder).',
     '4', 'information_meeting', 'at_least', 'period', '2018-01-01', '2019-01-31'),
    ('medborgarlofte-hassleholmen-hulta-norrby-2018', NULL, 'ml-6',
     'Presentera och initiera grannsamverkansmodellen i flerfamiljshus i stadsdelen Norrby (Polis, Borås Stad, AB Bostäder). Målsättningen är att grannsamverkan i flerfamiljshus återupptas på Norrby under år 2018',
     NULL, NULL, NULL, NULL, NULL, NULL)
) AS v(agreement_code, cooperation_area_code, code, text,
       target_value, target_unit, target_comparison, target_per, target_from, target_to)
JOIN agreements a ON a.code = v.agreement_code
LEFT JOIN cooperation_areas ca ON ca.agreement_id = a.id AND ca.code = v.cooperation_area_code
WHERE NOT EXISTS (SELECT 1 FROM commitments c WHERE c.code = v.code)
ON CONFLICT (code) DO NOTHING;

-- Ansvariga parter per åtagande.
INSERT INTO commitment_parties (commitment_id, party_id)
SELECT c.id, p.id
FROM (
    -- Samverkansöverenskommelsen: the party that "förbinder sig", derived from the code.
    SELECT c0.code AS commitment_code,
           CASE WHEN c0.code LIKE 'so-_-polisen-%' THEN 'polisen-boras' ELSE 'boras-stad' END AS party_code
    FROM commitments c0
    WHERE c0.code IN (
        'so-1-polisen-1', 'so-1-polisen-2', 'so-1-polisen-3', 'so-1-polisen-4',
        'so-1-boras-stad-1', 'so-1-boras-stad-2', 'so-1-boras-stad-3', 'so-1-boras-stad-4',
        'so-1-boras-stad-5', 'so-1-boras-stad-6',
        'so-2-polisen-1', 'so-2-polisen-2', 'so-2-polisen-3', 'so-2-polisen-4',
        'so-2-boras-stad-1', 'so-2-boras-stad-2', 'so-2-boras-stad-3',
        'so-3-polisen-1', 'so-3-polisen-2', 'so-3-polisen-3', 'so-3-polisen-4',
        'so-3-boras-stad-1', 'so-3-boras-stad-2', 'so-3-boras-stad-3', 'so-3-boras-stad-4',
        'so-3-boras-stad-5', 'so-3-boras-stad-6')
    UNION ALL
    -- Medborgarlöftet: the parties named in parentheses after each promise.
    SELECT v.commitment_code, v.party_code
    FROM (VALUES
        ('ml-1', 'polisen-boras'),
        ('ml-2', 'polisen-boras'),
        ('ml-3', 'polisen-boras'),
        ('ml-4', 'polisen-boras'),
        ('ml-5', 'polisen-boras'), ('ml-5', 'boras-stad'), ('ml-5', 'ab-bostader'),
        ('ml-6', 'polisen-boras'), ('ml-6', 'boras-stad'), ('ml-6', 'ab-bostader')
    ) AS v(commitment_code, party_code)
) AS link
JOIN commitments c ON c.code = link.commitment_code
JOIN parties p ON p.code = link.party_code
WHERE NOT EXISTS (SELECT 1 FROM commitment_parties cp WHERE cp.commitment_id = c.id AND cp.party_id = p.id)
ON CONFLICT (commitment_id, party_id) DO NOTHING;

-- Områden som åtagandena avser. Links always point at the districts (kind 'district');
-- "Hässleholmen/Hulta" is linked as both Hässleholmen and Hulta.
INSERT INTO commitment_areas (commitment_id, area_id)
SELECT c.id, ar.id
FROM (VALUES
    -- EST "på Hässleholmen/Hulta och Norrby"
    ('so-3-polisen-1', 'hassleholmen'), ('so-3-polisen-1', 'hulta'), ('so-3-polisen-1', 'norrby'),
    ('so-3-boras-stad-1', 'hassleholmen'), ('so-3-boras-stad-1', 'hulta'), ('so-3-boras-stad-1', 'norrby'),
    -- stadsdelsvärdar "för trygghetssatsningen på områdena Hässleholmen/Hulta och Norrby"
    ('so-3-polisen-3', 'hassleholmen'), ('so-3-polisen-3', 'hulta'), ('so-3-polisen-3', 'norrby'),
    -- Mötesplatserna "på Norrby, Hulta, Hässleholmen, Sjöbo och Kristineberg"
    ('so-3-boras-stad-2', 'norrby'), ('so-3-boras-stad-2', 'hulta'), ('so-3-boras-stad-2', 'hassleholmen'),
    ('so-3-boras-stad-2', 'sjobo'), ('so-3-boras-stad-2', 'kristineberg'),
    -- ”Trygghetssatsningen”: "En trygghetsatsning på Hässleholmen/Hulta, Norrby och Sjöbo" (Arbete och utbildning)
    ('so-3-boras-stad-3', 'hassleholmen'), ('so-3-boras-stad-3', 'hulta'), ('so-3-boras-stad-3', 'norrby'),
    ('so-3-boras-stad-3', 'sjobo'),
    -- Medborgarlöftet: "stadsdelarna Hässleholmen och Hulta samt Norrby"
    ('ml-1', 'hassleholmen'), ('ml-1', 'hulta'), ('ml-1', 'norrby'),
    ('ml-2', 'norrby'),
    ('ml-3', 'hassleholmen'), ('ml-3', 'hulta'), ('ml-3', 'norrby'),
    ('ml-4', 'hassleholmen'), ('ml-4', 'hulta'), ('ml-4', 'norrby'),
    ('ml-5', 'hassleholmen'), ('ml-5', 'hulta'), ('ml-5', 'norrby'),
    ('ml-6', 'norrby')
) AS v(commitment_code, area_code)
JOIN commitments c ON c.code = v.commitment_code
JOIN areas ar ON ar.code = v.area_code
WHERE NOT EXISTS (SELECT 1 FROM commitment_areas x WHERE x.commitment_id = c.id AND x.area_id = ar.id)
ON CONFLICT (commitment_id, area_id) DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Fokusområden named by the agreements (natural key: area_focuses.code).
-- ---------------------------------------------------------------------------------------------
INSERT INTO area_focuses (code, area_id, agreement_id, party_id, reason, priority, valid_from, valid_to)
SELECT v.code, ar.id, a.id, p.id, v.reason, v.priority::smallint, v.valid_from::date, v.valid_to::date
FROM (VALUES
    -- Samverkansöverenskommelsen, samverkansområde 3: the two särskilt utsatta områdena.
    ('so-2018-suo-hassleholmen-hulta', 'hassleholmen-hulta', 'boras-polisen-2018-2020', NULL, 1,
     '2018-01-01', '2020-12-31',
     'Gemensamma kraftsamlingar: "I Borås Stad finns, enligt Polisens nationella operativa avdelning (NOA), två '
     || 'särskilt utsatta områden: Hässleholmen/Hulta och Norrby. […] De gemensamma kraftsamlingarna avser främst '
     || 'dessa två områden."'),
    ('so-2018-suo-norrby', 'norrby-suo', 'boras-polisen-2018-2020', NULL, 1,
     '2018-01-01', '2020-12-31',
     'Gemensamma kraftsamlingar: "I Borås Stad finns, enligt Polisens nationella operativa avdelning (NOA), två '
     || 'särskilt utsatta områden: Hässleholmen/Hulta och Norrby. […] De gemensamma kraftsamlingarna avser främst '
     || 'dessa två områden."'),
    -- Medborgarlöftet (lokalpolisområde Borås): "Fokus på de särskilt utsatta områdena i Borås Stad".
    ('ml-2018-hassleholmen-hulta', 'hassleholmen-hulta', 'medborgarlofte-hassleholmen-hulta-norrby-2018', 'polisen-boras', 1,
     '2018-01-01', '2019-01-31',
     'Medborgarlöfte: "Fokus på de särskilt utsatta områdena i Borås Stad." "För att öka tryggheten och minska '
     || 'brottsligheten på stadsdelarna Hässleholmen och Hulta samt Norrby lovar vi följande"'),
    ('ml-2018-norrby', 'norrby-suo', 'medborgarlofte-hassleholmen-hulta-norrby-2018', 'polisen-boras', 1,
     '2018-01-01', '2019-01-31',
     'Medborgarlöfte: "Fokus på de särskilt utsatta områdena i Borås Stad." "För att öka tryggheten och minska '
     || 'brottsligheten på stadsdelarna Hässleholmen och Hulta samt Norrby lovar vi följande"'),
    -- Trygghetssatsningen med stadsdelsvärdar (Arbete och utbildning; drivs av arbetslivsförvaltningen).
    ('so-2018-trygghetssatsning-hassleholmen', 'hassleholmen', 'boras-polisen-2018-2020', 'boras-stad', 2,
     '2018-01-01', '2020-12-31',
     'Trygghetssatsning: "En trygghetsatsning på Hässleholmen/Hulta, Norrby och Sjöbo, vilken omfattar 30 '
     || 'stadsdelsvärdar samt arbetsledning av dessa, drivs av arbetslivsförvaltningen."'),
    ('so-2018-trygghetssatsning-hulta', 'hulta', 'boras-polisen-2018-2020', 'boras-stad', 2,
     '2018-01-01', '2020-12-31',
     'Trygghetssatsning: "En trygghetsatsning på Hässleholmen/Hulta, Norrby och Sjöbo, vilken omfattar 30 '
     || 'stadsdelsvärdar samt arbetsledning av dessa, drivs av arbetslivsförvaltningen."'),
    ('so-2018-trygghetssatsning-norrby', 'norrby', 'boras-polisen-2018-2020', 'boras-stad', 2,
     '2018-01-01', '2020-12-31',
     'Trygghetssatsning: "En trygghetsatsning på Hässleholmen/Hulta, Norrby och Sjöbo, vilken omfattar 30 '
     || 'stadsdelsvärdar samt arbetsledning av dessa, drivs av arbetslivsförvaltningen."'),
    ('so-2018-trygghetssatsning-sjobo', 'sjobo', 'boras-polisen-2018-2020', 'boras-stad', 2,
     '2018-01-01', '2020-12-31',
     'Trygghetssatsning: "En trygghetsatsning på Hässleholmen/Hulta, Norrby och Sjöbo, vilken omfattar 30 '
     || 'stadsdelsvärdar samt arbetsledning av dessa, drivs av arbetslivsförvaltningen."'),
    -- Mötesplatser outside the särskilt utsatta områdena.
    ('so-2018-motesplats-sjobo', 'sjobo', 'boras-polisen-2018-2020', 'boras-stad', 3,
     '2018-01-01', '2020-12-31',
     'Mötesplatser: "Borås Stad förbinder sig att utveckla Mötesplatsernas verksamhet på Norrby, Hulta, '
     || 'Hässleholmen, Sjöbo och Kristineberg." "[…] det viktigt att följa andra områden för eventuell problemutveckling."'),
    ('so-2018-motesplats-kristineberg', 'kristineberg', 'boras-polisen-2018-2020', 'boras-stad', 3,
     '2018-01-01', '2020-12-31',
     'Mötesplatser: "Borås Stad förbinder sig att utveckla Mötesplatsernas verksamhet på Norrby, Hulta, '
     || 'Hässleholmen, Sjöbo och Kristineberg." "[…] det viktigt att följa andra områden för eventuell problemutveckling."'),
    -- Samverkansområde 2: stadens torg och parker.
    ('so-2018-torg-och-parker-centrum', 'centrum', 'boras-polisen-2018-2020', NULL, 3,
     '2018-01-01', '2020-12-31',
     'Trygga offentliga miljöer: "Det är viktigt att stadens torg och parker upplevs trygga och är tillgängliga så '
     || 'att de bidrar till rörelse och möten mellan människor oberoende av ålder, etnicitet, kön eller tillhörighet."')
) AS v(code, area_code, agreement_code, party_code, priority, valid_from, valid_to, reason)
JOIN areas ar ON ar.code = v.area_code
JOIN agreements a ON a.code = v.agreement_code
LEFT JOIN parties p ON p.code = v.party_code
WHERE NOT EXISTS (SELECT 1 FROM area_focuses f WHERE f.code = v.code)
ON CONFLICT (code) DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Self-check: every seeded natural key resolves. Aborts the seed transaction if a code above was
-- mistyped (a JOIN on a wrong code would otherwise drop the row silently). Only checks presence,
-- so later edits through the API (new rows, changed status, …) never make a re-run fail.
-- ---------------------------------------------------------------------------------------------
DO $seed_check$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(k, ', ') INTO missing
    FROM (VALUES ('polisen-boras'), ('boras-stad'), ('ab-bostader')) AS e(k)
    WHERE NOT EXISTS (SELECT 1 FROM parties WHERE code = e.k);
    IF missing IS NOT NULL THEN RAISE EXCEPTION 'seed 0001_boras: parties missing: %', missing; END IF;

    SELECT string_agg(k, ', ') INTO missing
    FROM (VALUES ('centrum'), ('norrby'), ('sjobo'), ('hassleholmen'), ('hulta'), ('kristineberg'),
                 ('hassleholmen-hulta'), ('norrby-suo')) AS e(k)
    WHERE NOT EXISTS (SELECT 1 FROM areas WHERE code = e.k);
    IF missing IS NOT NULL THEN RAISE EXCEPTION 'seed 0001_boras: areas missing: %', missing; END IF;

    SELECT string_agg(k, ', ') INTO missing
    FROM (SELECT 'so-' || o || '-' || p || '-' || n AS k
          FROM (VALUES (1, 'polisen', 4), (1, 'boras-stad', 6), (2, 'polisen', 4), (2, 'boras-stad', 3),
                       (3, 'polisen', 4), (3, 'boras-stad', 6)) AS s(o, p, cnt),
               generate_series(1, s.cnt) AS n
          UNION ALL
          SELECT 'ml-' || n FROM generate_series(1, 6) AS n) AS e
    WHERE NOT EXISTS (SELECT 1 FROM commitments c
                      JOIN agreements a ON a.id = c.agreement_id
                      WHERE c.code = e.k
                        AND (e.k LIKE 'ml-%') = (a.code = 'medborgarlofte-hassleholmen-hulta-norrby-2018')
                        AND (e.k LIKE 'ml-%') = (c.cooperation_area_id IS NULL));
    IF missing IS NOT NULL THEN RAISE EXCEPTION 'seed 0001_boras: commitments missing or misplaced: %', missing; END IF;

    SELECT string_agg(k, ', ') INTO missing
    FROM (VALUES ('so-2018-suo-hassleholmen-hulta'), ('so-2018-suo-norrby'),
                 ('ml-2018-hassleholmen-hulta'), ('ml-2018-norrby'),
                 ('so-2018-trygghetssatsning-hassleholmen'), ('so-2018-trygghetssatsning-hulta'),
                 ('so-2018-trygghetssatsning-norrby'), ('so-2018-trygghetssatsning-sjobo'),
                 ('so-2018-motesplats-sjobo'), ('so-2018-motesplats-kristineberg'),
                 ('so-2018-torg-och-parker-centrum')) AS e(k)
    WHERE NOT EXISTS (SELECT 1 FROM area_focuses WHERE code = e.k);
    IF missing IS NOT NULL THEN RAISE EXCEPTION 'seed 0001_boras: area focuses missing: %', missing; END IF;
END
$seed_check$;
