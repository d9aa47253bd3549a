// Journeys through the pages in a real browser (Debian's chromium, headless)
// against the real `tremplin serve`, on SQLite and on PostgreSQL. Every page
// visited is checked with axe-core (WCAG 2.0/2.1 A and AA: 0 violations) and
// photographed into target/web-screenshots/<backend>/.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { freshDatabase, startServer, seed, PASSWORD } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const SHOTS = resolve(import.meta.dirname, '..', 'target', 'web-screenshots');

const backends = [{ kind: 'sqlite' }];
const pg = process.env.WEB_TESTS_POSTGRES_URL ?? process.env.TEST_DATABASE_URL;
if (pg) backends.push({ kind: 'postgres', serverUrl: pg });
else console.log('# TEST_DATABASE_URL is not set: the PostgreSQL journeys are skipped');

for (const backend of backends) {
  describe(`pages on ${backend.kind}`, () => {
    let database, server, data, browser, shot = 0;
    const shots = join(SHOTS, backend.kind);

    before(async () => {
      rmSync(shots, { recursive: true, force: true });
      mkdirSync(shots, { recursive: true });
      database = freshDatabase(backend);
      server = await startServer(database.url);
      data = await seed(server);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      database?.drop();
    });

    /**
     * A fresh browser context (no cookies) and its page. Script errors (a
     * CSP refusal among them) and files that fail to load are collected; a
     * page answered 4xx on purpose is not a failure.
     */
    async function visitor() {
      const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1100, height: 900 } });
      const page = await context.newPage();
      page.problems = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(m.text());
      });
      page.on('pageerror', (e) => page.problems.push(String(e)));
      page.on('response', (r) => {
        if (r.request().resourceType() !== 'document' && r.status() >= 400) page.problems.push(`${r.status()} ${r.url()}`);
      });
      return page;
    }

    /** axe-core on the page as it is, then a screenshot named after it. */
    async function check(page, name) {
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
      const summary = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      assert.deepEqual(summary, [], `axe on ${name} (${page.url()})`);
      shot += 1;
      await page.screenshot({ path: join(shots, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
      assert.deepEqual(page.problems, [], `script errors or missing files on ${name}`);
    }

    const url = (path) => `${server.url}${path}`;

    test('the public pages', async () => {
      const page = await visitor();
      for (const [path, name, heading] of [
        ['/', 'accueil-public', 'Bienvenue sur Tremplin'],
        ['/mentorat', 'mentorat', '« 1 jeune, 1 mentor »'],
        ['/accessibilite', 'accessibilite', "Déclaration d'accessibilité"],
        ['/mentions-legales', 'mentions-legales', 'Mentions légales'],
        ['/donnees-personnelles', 'donnees-personnelles', 'Données personnelles'],
        ['/docs', 'documentation-api', "Documentation de l'API"],
        ['/nulle-part', 'page-introuvable', 'Page introuvable'],
      ]) {
        await page.goto(url(path));
        assert.match(await page.locator('h1').innerText(), new RegExp(heading.replace(/[()]/g, '.')));
        await check(page, name);
      }
      await page.context().close();
    });

    test('an invitation, a weak password refused at its field, then sign-in and sign-out', async () => {
      const page = await visitor();
      await page.goto(url(`/invitation?token=${data.invited.invitation}`));
      assert.match(await page.locator('main').innerText(), new RegExp(data.invited.email));
      await check(page, 'invitation');
      await page.getByLabel('Mot de passe', { exact: true }).fill('court');
      await page.getByLabel('Confirmez le mot de passe').fill('court');
      await page.getByRole('button', { name: 'Enregistrer et me connecter' }).click();
      const field = page.locator('#password');
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.match(await field.getAttribute('aria-describedby'), /password-erreur/);
      assert.match(await page.locator('#password-erreur').innerText(), /de 12 à 128 caractères/);
      await check(page, 'invitation-mot-de-passe-trop-court');
      const chosen = 'une phrase facile à retenir';
      await page.getByLabel('Mot de passe', { exact: true }).fill(chosen);
      await page.getByLabel('Confirmez le mot de passe').fill(chosen);
      await page.getByRole('button', { name: 'Enregistrer et me connecter' }).click();
      await page.waitForURL(url('/'));
      assert.equal(await page.locator('h1').innerText(), 'Bonjour');
      assert.match(await page.locator('header').innerText(), new RegExp(data.invited.email));
      await check(page, 'accueil-entreprise');
      await page.getByRole('button', { name: 'Se déconnecter' }).click();
      await page.waitForURL(/\/connexion\?etat=deconnecte$/);
      assert.match(await page.locator('main').innerText(), /Vous êtes déconnecté/);
      await check(page, 'deconnexion');
      // The link has served: it says so in plain words.
      await page.goto(url(`/invitation?token=${data.invited.invitation}`));
      assert.match(await page.locator('main').innerText(), /déjà servi/);
      await check(page, 'invitation-deja-utilisee');
      // And the chosen password signs in.
      await page.goto(url('/connexion'));
      await page.getByLabel('Adresse e-mail').fill(data.invited.email);
      await page.getByLabel('Mot de passe').fill(chosen);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.waitForURL(url('/'));
      await page.context().close();
    });

    test('a wrong password is said plainly', async () => {
      const page = await visitor();
      await page.goto(url('/connexion'));
      await check(page, 'connexion');
      await page.getByLabel('Adresse e-mail').fill(data.company.email);
      await page.getByLabel('Mot de passe').fill('not the password');
      await page.getByRole('button', { name: 'Se connecter' }).click();
      assert.match(await page.getByRole('alert').innerText(), /Adresse e-mail ou mot de passe incorrect/);
      assert.equal(await page.getByLabel('Adresse e-mail').inputValue(), data.company.email);
      await check(page, 'connexion-refusee');
      await page.context().close();
    });

    test('a placement link asks to sign in, then opens the placement; htmx swaps its fragment', async () => {
      const page = await visitor();
      const path = `/placements/${data.placementId}`;
      await page.goto(url(path));
      assert.equal(new URL(page.url()).pathname, '/connexion');
      assert.equal(new URL(page.url()).searchParams.get('retour'), path);
      await page.getByLabel('Adresse e-mail').fill(data.company.email);
      await page.getByLabel('Mot de passe').fill(PASSWORD);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.waitForURL(url(path));
      assert.match(await page.locator('h1').innerText(), /Découverte de la logistique/);
      assert.match(await page.locator('main').innerText(), /Inès/);
      assert.doesNotMatch(await page.locator("main").innerText(), /Inès Martin/);
      await check(page, 'stage-entreprise');
      // The vendored htmx runs under the CSP and takes the fragment.
      assert.equal(await page.evaluate(() => window.htmx?.version), '2.0.11');
      await page.evaluate((p) => window.htmx.ajax('GET', p, '#contenu'), path);
      await page.waitForFunction(() => document.title.startsWith('Stage'));
      assert.equal(await page.locator('header').count(), 1);
      assert.match(await page.locator('#contenu h1').innerText(), /Découverte de la logistique/);
      await check(page, 'stage-entreprise-htmx');
      await page.context().close();
    });

    test("another organisation's placement is a 404 page", async () => {
      const page = await visitor();
      await page.goto(url('/connexion'));
      await page.getByLabel('Adresse e-mail').fill(data.other.email);
      await page.getByLabel('Mot de passe').fill(PASSWORD);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.waitForURL(url('/'));
      const response = await page.goto(url(`/placements/${data.placementId}`));
      assert.equal(response.status(), 404);
      assert.equal(await page.locator('h1').innerText(), 'Page introuvable');
      assert.doesNotMatch(await page.locator('main').innerText(), /logistique/);
      await check(page, 'stage-autre-organisation');
      await page.context().close();
    });

    test('signing in and out with the keyboard alone', async () => {
      const page = await visitor();
      await page.goto(url('/connexion'));
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Aller au contenu');
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(ring, 'none', 'the focus is visible');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'contenu');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
      await page.keyboard.type(data.school.email);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Enter');
      await page.waitForURL(url('/'));
      await check(page, 'accueil-college');
      // To the sign-out button, by Tab only.
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement.textContent.trim()) === 'Se déconnecter') break;
      }
      assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Se déconnecter');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/connexion\?etat=deconnecte$/);
      await page.context().close();
    });
  });
}
