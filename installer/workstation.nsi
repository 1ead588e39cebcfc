; Workstation installer (NSIS 3, MUI2). Per-user: no administrator rights needed.
;
; Built by scripts/build-installer, which passes the version from pyproject.toml:
;   makensis /INPUTCHARSET UTF8 /DVERSION=0.1.0 /DVERSION4=0.1.0.0 \
;            /DSOURCE_DIR=dist/workstation /DOUTFILE=dist/Workstation-0.1.0-setup.exe \
;            [/DCOMPRESSOR=zlib|none] [/DSIGN_CMD="installer/sign"] installer/workstation.nsi
;
; Silent switches (installer/README.md): setup.exe /S [/DESKTOP=1|0] [/D=folder];
; uninstall.exe /S [/REMOVEDATA=1]. Per user only: /ALLUSERS is refused (exit code 2).
;
; Program files go to %LOCALAPPDATA%\Programs\Workstation and are replaced on upgrade.
; User data (cache, logs, window state) lives in %LOCALAPPDATA%\Workstation and settings in
; HKCU\Software\Workstation: the installer never touches them, and the uninstaller only
; removes them when the user ticks "Also delete my data".

; 64-bit and Unicode, like the app it installs (a 64-bit PyInstaller build).
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
!ifndef COMPRESSOR
  !define COMPRESSOR "/SOLID lzma"
!endif
!if "${COMPRESSOR}" == "none"
  SetCompress off  ; throwaway test builds: ~2 s to compile instead of ~45 s with zlib
!else
  SetCompressor ${COMPRESSOR}
!endif

!ifndef VERSION
  !error "Pass /DVERSION=x.y.z (scripts/build-installer reads it from pyproject.toml)"
!endif
!ifndef VERSION4
  !error "Pass /DVERSION4=a.b.c.d (four numbers, for VIProductVersion)"
!endif
!ifndef SOURCE_DIR
  !error "Pass /DSOURCE_DIR=<PyInstaller onedir output, e.g. dist\workstation>"
!endif
!ifndef OUTFILE
  !define OUTFILE "Workstation-${VERSION}-setup.exe"
!endif

!define APP_NAME "Workstation"
!define APP_EXE "workstation.exe"
!define DEBUG_EXE "workstation-debug.exe"
!define PUBLISHER "Workstation Project"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Workstation"
!define APP_KEY "Software\Workstation"
!define USER_DATA_DIR "$LOCALAPPDATA\Workstation"

; Optional code signing: SIGN_CMD is a command that signs the file given as its argument.
; The installer itself, and the uninstaller it writes, are signed at compile time.
!ifdef SIGN_CMD
  !finalize '${SIGN_CMD} "%1"'
  !uninstfinalize '${SIGN_CMD} "%1"'
!endif

Name "${APP_NAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=0 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION4}"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "FileDescription" "${APP_NAME} ${VERSION} Setup"
VIAddVersionKey /LANG=0 "LegalCopyright" "Copyright (c) ${PUBLISHER}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "WordFunc.nsh"
!include "Sections.nsh"

!ifdef APP_ICON
  !define MUI_ICON "${APP_ICON}"
  !define MUI_UNICON "${APP_ICON}"
!endif
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_UNCOMPONENTSPAGE_NODESC

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the fallback; NSIS picks the one matching Windows' UI language.
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

LangString SecProgram ${LANG_SIMPCHINESE} "工作台程序"
LangString SecProgram ${LANG_ENGLISH} "Workstation program"
LangString SecDesktop ${LANG_SIMPCHINESE} "桌面快捷方式"
LangString SecDesktop ${LANG_ENGLISH} "Desktop shortcut"
LangString SecUnProgram ${LANG_SIMPCHINESE} "程序文件"
LangString SecUnProgram ${LANG_ENGLISH} "Program files"
LangString SecUnData ${LANG_SIMPCHINESE} "同时删除我的数据(本地缓存、日志、窗口布局和设置)"
LangString SecUnData ${LANG_ENGLISH} "Also delete my data (local cache, logs, window layout and settings)"
LangString MsgRunning ${LANG_SIMPCHINESE} "工作台正在运行。点击“确定”关闭它并继续(未发送的修改会保留),点击“取消”退出安装。"
LangString MsgRunning ${LANG_ENGLISH} "Workstation is running. Click OK to close it and continue (changes not yet sent are kept), or Cancel to stop."
LangString MsgStillRunning ${LANG_SIMPCHINESE} "无法关闭工作台。请手动关闭后点击“重试”。"
LangString MsgStillRunning ${LANG_ENGLISH} "Workstation could not be closed. Close it yourself, then click Retry."
LangString MsgDowngrade ${LANG_SIMPCHINESE} "已安装更新的版本 $0。仍要安装 ${VERSION} 吗?"
LangString MsgDowngrade ${LANG_ENGLISH} "A newer version ($0) is already installed. Install ${VERSION} anyway?"
LangString MsgPerUserOnly ${LANG_SIMPCHINESE} "本安装程序只为当前用户安装(不需要管理员权限),不支持 /ALLUSERS。"
LangString MsgPerUserOnly ${LANG_ENGLISH} "This installer installs for the current user only (no administrator rights needed); /ALLUSERS is not supported."
LangString MsgBadDesktop ${LANG_SIMPCHINESE} "参数 /DESKTOP= 只能是 1(创建桌面快捷方式)或 0(不创建),收到的是“$R1”。"
LangString MsgBadDesktop ${LANG_ENGLISH} "/DESKTOP= takes 1 (create a desktop shortcut) or 0 (none), not $\"$R1$\"."
LangString MsgBadRemoveData ${LANG_SIMPCHINESE} "参数 /REMOVEDATA= 只能是 1(同时删除我的数据)或 0(保留),收到的是“$R1”。"
LangString MsgBadRemoveData ${LANG_ENGLISH} "/REMOVEDATA= takes 1 (also delete my data) or 0 (keep it), not $\"$R1$\"."

Var Username

; ----------------------------------------------------------------------------------------
; Is the program running? A running .exe cannot be opened for writing, so try that: no
; plug-in needed, and it only sees this install's files.
!macro IS_RUNNING_BODY
  StrCpy $R0 0
  ${If} ${FileExists} "$INSTDIR\${APP_EXE}"
    ClearErrors
    FileOpen $R9 "$INSTDIR\${APP_EXE}" a
    ${If} ${Errors}
      StrCpy $R0 1
    ${Else}
      FileClose $R9
    ${EndIf}
  ${EndIf}
  ${If} $R0 == 0
  ${AndIf} ${FileExists} "$INSTDIR\${DEBUG_EXE}"
    ClearErrors
    FileOpen $R9 "$INSTDIR\${DEBUG_EXE}" a
    ${If} ${Errors}
      StrCpy $R0 1
    ${Else}
      FileClose $R9
    ${EndIf}
  ${EndIf}
!macroend

; Ask, then close the running app: politely first (WM_CLOSE, so it saves its window state
; and its outbox is already on disk), then forcefully; only this user's processes.
!macro CLOSE_APP_BODY
  !insertmacro IS_RUNNING_BODY
  ${If} $R0 == 1
    MessageBox MB_OKCANCEL|MB_ICONEXCLAMATION "$(MsgRunning)" /SD IDOK IDOK +2
    Abort
    ReadEnvStr $Username "USERNAME"
    nsExec::Exec 'taskkill /IM ${APP_EXE} /FI "USERNAME eq $Username"'
    Pop $R8
    StrCpy $R7 0
    ${Do}
      Sleep 500
      IntOp $R7 $R7 + 1
      !insertmacro IS_RUNNING_BODY
      ${If} $R0 == 0
      ${OrIf} $R7 >= 20
        ${Break}
      ${EndIf}
    ${Loop}
    ${If} $R0 == 1
      nsExec::Exec 'taskkill /F /IM ${APP_EXE} /FI "USERNAME eq $Username"'
      Pop $R8
      nsExec::Exec 'taskkill /F /IM ${DEBUG_EXE} /FI "USERNAME eq $Username"'
      Pop $R8
      Sleep 1000
    ${EndIf}
    ${Do}
      !insertmacro IS_RUNNING_BODY
      ${If} $R0 == 0
        ${Break}
      ${EndIf}
      MessageBox MB_RETRYCANCEL|MB_ICONSTOP "$(MsgStillRunning)" /SD IDCANCEL IDRETRY +2
      Abort
    ${Loop}
  ${EndIf}
!macroend

Function CloseRunningApp
  !insertmacro CLOSE_APP_BODY
FunctionEnd

Function un.CloseRunningApp
  !insertmacro CLOSE_APP_BODY
FunctionEnd

Section "!$(SecProgram)" SecProgram
  SectionIn RO
  SetShellVarContext current
  Call CloseRunningApp

  ; Replace, do not merge: files dropped by the new version must not linger. Only the
  ; folders this installer owns are removed; user data is never in $INSTDIR.
  ${If} ${FileExists} "$INSTDIR\${APP_EXE}"
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\${APP_EXE}"
    Delete "$INSTDIR\${DEBUG_EXE}"
  ${EndIf}

  SetOutPath "$INSTDIR"
  SetOverwrite on
  File /r "${SOURCE_DIR}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0

  ; Apps & features entry (per user)
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "$(SecDesktop)" SecDesktop
  SetShellVarContext current
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
SectionEnd

; Bad input stops the installer before it changes anything: a message (none with /S) and
; exit code 2, which deployment tools report.
!macro REFUSE MESSAGE
  MessageBox MB_OK|MB_ICONSTOP "${MESSAGE}" /SD IDOK
  SetErrorLevel 2
  Quit
!macroend

; (after the sections: it refers to ${SecDesktop})
Function .onInit
  SetShellVarContext current
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/ALLUSERS" $R1
  ${IfNot} ${Errors}
    !insertmacro REFUSE "$(MsgPerUserOnly)"
  ${EndIf}
  ; Upgrade in place: reuse the folder of an existing install, keep the shortcut choice.
  ReadRegStr $0 HKCU "${UNINST_KEY}" "InstallLocation"
  ${If} $0 != ""
    StrCpy $INSTDIR $0
  ${EndIf}
  ReadRegStr $0 HKCU "${UNINST_KEY}" "DisplayVersion"
  ${If} $0 != ""
    ${VersionCompare} "$0" "${VERSION}" $1
    ${If} $1 == 1
      MessageBox MB_YESNO|MB_ICONQUESTION "$(MsgDowngrade)" /SD IDYES IDYES +2
      Abort
    ${EndIf}
  ${EndIf}
  ; Desktop shortcut: /DESKTOP=1|0 when given, else the choice made last time, else yes.
  ClearErrors
  ${GetOptions} $R0 "/DESKTOP=" $R1
  ${If} ${Errors}
    ReadRegStr $R1 HKCU "${APP_KEY}" "DesktopShortcut"
  ${ElseIf} $R1 != "1"
  ${AndIf} $R1 != "0"
    !insertmacro REFUSE "$(MsgBadDesktop)"
  ${EndIf}
  ${If} $R1 == "0"
    !insertmacro UnselectSection ${SecDesktop}
  ${EndIf}
FunctionEnd

Function .onInstSuccess
  ; Remember the desktop-shortcut choice for the next upgrade; remove the shortcut when
  ; the user unticked it this time.
  ${If} ${SectionIsSelected} ${SecDesktop}
    WriteRegStr HKCU "${APP_KEY}" "DesktopShortcut" "1"
  ${Else}
    WriteRegStr HKCU "${APP_KEY}" "DesktopShortcut" "0"
    Delete "$DESKTOP\${APP_NAME}.lnk"
  ${EndIf}
FunctionEnd

; ----------------------------------------------------------------------------------------
Section "!un.$(SecUnProgram)" SecUnProgram
  SectionIn RO
  SetShellVarContext current
  Call un.CloseRunningApp
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\${DEBUG_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"  ; only if empty: never delete files we did not install
  DeleteRegKey HKCU "${UNINST_KEY}"
SectionEnd

; Unticked by default: a silent or hurried uninstall keeps the agent's cache (and any
; changes still waiting to be sent), logs and settings.
Section /o "un.$(SecUnData)" SecUnData
  SetShellVarContext current
  RMDir /r "${USER_DATA_DIR}"
  DeleteRegKey HKCU "${APP_KEY}"
SectionEnd

; (after the sections: it refers to ${SecUnData})
Function un.onInit
  SetShellVarContext current
  ; /REMOVEDATA=1 ticks "Also delete my data" (the only way to get it with /S).
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/REMOVEDATA=" $R1
  ${IfNot} ${Errors}
    ${If} $R1 == "1"
      !insertmacro SelectSection ${SecUnData}
    ${ElseIf} $R1 != "0"
      !insertmacro REFUSE "$(MsgBadRemoveData)"
    ${EndIf}
  ${EndIf}
FunctionEnd
