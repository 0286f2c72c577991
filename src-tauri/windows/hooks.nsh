; Hooks into Tauri's NSIS installer (bundle > windows > nsis > installerHooks).
; Built and tested on Windows only, not on the Linux CI.

!include "WinVer.nsh"

; Windows 10 is the floor: WebView2 and the kiosk's TLS need it.
!macro NSIS_HOOK_PREINSTALL
  ${IfNot} ${AtLeastWin10}
    MessageBox MB_ICONSTOP "e-Mitra Kiosk needs Windows 10 or newer."
    Abort
  ${EndIf}
!macroend

; The counter opens by itself when the shop's PC starts (all users: the
; installer runs per machine).
!macro NSIS_HOOK_POSTINSTALL
  SetShellVarContext all
  CreateShortCut "$SMSTARTUP\${PRODUCTNAME}.lnk" "$INSTDIR\${MAINBINARYNAME}.exe"
!macroend

!macro NSIS_HOOK_POSTUNINSTALL
  SetShellVarContext all
  Delete "$SMSTARTUP\${PRODUCTNAME}.lnk"
!macroend
