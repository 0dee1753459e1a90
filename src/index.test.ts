// The library's public surface is whole: every type that appears in the signature of something it exports (a
// parameter, a result, a property, a base type), and the types those mention in turn, can be imported from the
// package entry. Checked on the declarations tsc emitted beside this file, as a user's compiler sees them.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const here = import.meta.dirname;

/** The package's own declaration files (not node_modules, not tests). */
function isOwnDeclaration(file: ts.SourceFile): boolean {
  return !relative(here, file.fileName).startsWith('..') && !file.fileName.split(sep).includes('node_modules');
}

function symbolOf(checker: ts.TypeChecker, node: ts.Node): ts.Symbol | undefined {
  const symbol = checker.getSymbolAtLocation(node);
  if (!symbol) return undefined;
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** Named types of the package that an exported declaration mentions, directly or through the types it mentions. */
function unexportedTypes(entry: string): string[] {
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const exported = new Set(
    checker
      .getExportsOfModule(moduleSymbol)
      .map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s)),
  );
  const seen = new Set<ts.Symbol>();
  const missing = new Set<string>();
  const visitSymbol = (symbol: ts.Symbol, via: string) => {
    if (seen.has(symbol)) return;
    seen.add(symbol);
    for (const declaration of symbol.declarations ?? []) {
      const file = declaration.getSourceFile();
      if (!isOwnDeclaration(file) || ts.isTypeParameterDeclaration(declaration)) continue;
      const named =
        ts.isInterfaceDeclaration(declaration) ||
        ts.isTypeAliasDeclaration(declaration) ||
        ts.isClassDeclaration(declaration) ||
        ts.isEnumDeclaration(declaration);
      if (named && !exported.has(symbol)) {
        missing.add(`${symbol.name} (${relative(here, file.fileName)}, used by ${via})`);
      }
      visitNode(declaration, symbol.name);
    }
  };
  const visitNode = (node: ts.Node, via: string): void => {
    // What a user cannot reach is not part of the surface: private members, function bodies (none in .d.ts).
    if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) {
      return;
    }
    if (ts.isPrivateIdentifier(node)) return;
    let target: ts.Node | undefined;
    if (ts.isTypeReferenceNode(node)) target = node.typeName;
    else if (ts.isExpressionWithTypeArguments(node)) target = node.expression;
    else if (ts.isTypeQueryNode(node)) target = node.exprName;
    else if (ts.isImportTypeNode(node)) target = node.qualifier;
    if (target) {
      const symbol = symbolOf(checker, ts.isQualifiedName(target) ? target.right : target);
      if (symbol) visitSymbol(symbol, via);
    }
    ts.forEachChild(node, (child) => visitNode(child, via));
  };
  for (const symbol of exported) visitSymbol(symbol, symbol.name);
  return [...missing].sort();
}

test('every type in the signatures of what the package exports is exported too', () => {
  const entry = join(here, 'index.d.ts');
  assert.ok(existsSync(entry), `${entry} is built by tsc (declaration: true)`);
  assert.deepEqual(unexportedTypes(entry), []);
});
